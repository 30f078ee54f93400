import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { defineChannels, isRealtimeError } from '../../src/index.js';
import { createRealtimeHandlers, parseKeyring, signRealtimeToken } from '../../src/next/index.js';
import { createConnectionControl, createMemoryStore, createRealtime, type Realtime } from '../../src/server/index.js';
import { startAblyStandIn, type AblyStandIn } from '../support/ably/standIn.js';
import { eventually } from '../support/events.js';
import { startPusherCloudStandIn, type PusherCloudStandIn } from '../support/pusherCloudStandIn.js';

/**
 * No log line, error message or error cause carries a secret or anything signed with one. Every
 * failure path is driven for real (provider down, wrong secret, Ably errors, the app's callbacks
 * throwing) and everything that could reach a log is captured: console output of the library,
 * the handlers' `log`, responses, and each thrown error as an app would log it (`String`,
 * `util.inspect` with its whole cause chain, JSON).
 */
const SOKETI_APP = { appId: 'redaction-app', key: 'redaction-key', secret: 'soketi-secret-5c1e9b' };
const TOKEN_SECRETS = 'k2:token-secret-new-8d2f41,k1:token-secret-old-3a7c90';
const ABLY_KEY = 'standin.redact:ably-key-secret-0f4e7d21';
const WEBHOOK_SECRET = 'webhook-secret-7b3e55';
const SECRETS = [SOKETI_APP.secret, 'token-secret-new-8d2f41', 'token-secret-old-3a7c90', 'ably-key-secret-0f4e7d21', WEBHOOK_SECRET, 'wrong-secret-e8b0c3'];

/** What may not appear anywhere: signed URL parts, signatures, tokens, the secrets themselves. */
const FORBIDDEN: RegExp[] = [
  /auth_signature/i,
  /auth_key=/i,
  /\b[0-9a-f]{64}\b/i, // a Pusher-protocol signature
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./, // a JWT
  ...SECRETS.map((secret) => new RegExp(secret.replace(/[-.]/g, '\\$&'))),
];

const captured: string[] = [];
const asLoggedByAnApp = (error: unknown) =>
  [String(error), (error as Error)?.message, inspect(error, { depth: Infinity }), JSON.stringify(error), (error as Error)?.stack].join('\n');

async function failure(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the call was expected to fail').toBeDefined();
  captured.push(asLoggedByAnApp(error));
  return error;
}

function expectNothingSecret(lines: readonly string[]) {
  for (const line of lines) {
    for (const pattern of FORBIDDEN) expect(line, `${pattern} in:\n${line}`).not.toMatch(pattern);
  }
}

let consoleSpies: Array<{ mockRestore(): void }> = [];
beforeAll(() => {
  consoleSpies = (['error', 'warn', 'log', 'info', 'debug'] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      captured.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: Infinity }))).join(' '));
    }),
  );
});
afterAll(() => {
  for (const spy of consoleSpies) spy.mockRestore();
});

describe('no secret or signed value in logs and errors', () => {
  let soketi: SoketiProcess | undefined;
  let cloud: PusherCloudStandIn;
  let ably: AblyStandIn;
  const instances: Realtime[] = [];
  const track = (realtime: Realtime) => (instances.push(realtime), realtime);

  beforeAll(async () => {
    [soketi, cloud, ably] = await Promise.all([
      startSoketi({ quiet: true, app: SOKETI_APP }),
      startPusherCloudStandIn({ appId: '99', key: 'cloud-key', secret: 'cloud-secret-2d7e11' }),
      startAblyStandIn({ keys: [ABLY_KEY] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(instances.map((realtime) => realtime.close()));
    await soketi?.stop();
    await cloud?.close();
    await ably?.close();
  });

  it('wrong secret: Soketi (errors in HTTP 200 bodies) and Pusher cloud (401)', async () => {
    captured.length = 0;
    const wrongSoketi = track(createRealtime({ provider: 'soketi', ...SOKETI_APP, secret: 'wrong-secret-e8b0c3', host: soketi!.host, port: soketi!.port }));
    expect(isRealtimeError(await failure(wrongSoketi.publish('orders', 'created', { id: 1 })), 'provider_rejected')).toBe(true);
    await failure(wrongSoketi.publishBatch([{ channel: 'a', event: 'x', data: 1 }]));
    await failure((await wrongSoketi.getProvider()).presenceMemberIds!('presence-room.1'));
    await failure(wrongSoketi.terminateUser('u1'));
    const wrongCloud = track(
      createRealtime({ provider: 'pusher', appId: '99', key: 'cloud-key', secret: 'wrong-secret-e8b0c3', cluster: 'eu', host: '127.0.0.1', port: cloud.port, useTLS: false } as never),
    );
    expect(isRealtimeError(await failure(wrongCloud.publish('orders', 'created', { id: 1 })), 'provider_rejected')).toBe(true);
    await failure(wrongCloud.terminateUser('u1'));
    expect(captured.join('\n')).toMatch(/401/);
    expectNothingSecret(captured);
  });

  it('Ably: a wrong key secret, and Ably unreachable', async () => {
    captured.length = 0;
    const wrongKey = track(createRealtime({ provider: 'ably', apiKeys: ['standin.redact:wrong-secret-e8b0c3'], endpoint: 'localhost', port: ably.port, tls: false }));
    await failure(wrongKey.publish('orders', 'created', { id: 1 }));
    await failure((await wrongKey.getProvider()).presenceMemberIds!('presence-room.1'));
    await failure(wrongKey.terminateUser('u1'));
    const down = track(createRealtime({ provider: 'ably', apiKeys: [ABLY_KEY], endpoint: 'localhost', port: await freePort(), tls: false }));
    expect(isRealtimeError(await failure(down.publish('orders', 'created', { id: 1 })), 'provider_unavailable')).toBe(true);
    await failure(down.terminateUser('u1'));
    // The token route on Ably signs JWTs locally; a policy that throws while listing grants:
    const handlers = createRealtimeHandlers({
      realtime: down,
      channels: defineChannels({ 'private-x.{id}': (_user: { id: string }) => Promise.reject(new Error(`lookup failed with key ${ABLY_KEY}`)) }),
      getUser: () => ({ id: 'u1' }),
      log: (line) => captured.push(line),
    });
    const response = await handlers.GET(new Request('http://app.test/api/realtime/token?channel=private-x.1'), { params: Promise.resolve({ path: ['token'] }) });
    expect(response.status).toBe(500);
    captured.push(await response.text());
    expect(captured.join('\n')).toMatch(/40[01]|could not be reached/);
    expectNothingSecret(captured);
  });

  it("the app's callbacks throwing with tokens and secrets in their messages", async () => {
    captured.length = 0;
    const realtime = track(createRealtime({ provider: 'soketi', ...SOKETI_APP, host: '127.0.0.1', port: 1 }));
    const { token } = await signRealtimeToken(parseKeyring(TOKEN_SECRETS), 'u1');
    const handlers = createRealtimeHandlers({
      realtime,
      channels: defineChannels({
        'private-x.{id}': (_user: { id: string }): boolean => {
          throw new Error(`db said: secret=${SOKETI_APP.secret} token ${token}`);
        },
      }),
      getUser: (request) => {
        if (request.headers.get('cookie') === 'boom') throw new Error(`session store refused Bearer ${token} (password=${SOKETI_APP.secret})`);
        return null;
      },
      tokenSecrets: TOKEN_SECRETS,
      userFromToken: (claims) => {
        throw new Error(`user ${claims.sub} not found; token-secret-new-8d2f41 was used`);
      },
      webhook: {
        secrets: `hook-key:${WEBHOOK_SECRET}`,
        onEvents: () => {
          throw new Error(`handler failed verifying with ${WEBHOOK_SECRET} and ${SOKETI_APP.secret}`);
        },
      },
      log: (line) => captured.push(line),
    });
    const post = (path: string, headers: Record<string, string>, body: string) =>
      handlers.POST(new Request(`http://app.test/api/realtime/${path}`, { method: 'POST', headers, body }), { params: Promise.resolve({ path: [path] }) });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const responses = [
      await post('auth', { ...form, cookie: 'boom' }, 'socket_id=1.2&channel_name=private-x.1'),
      await post('auth', { ...form, authorization: `Bearer ${token}` }, 'socket_id=1.2&channel_name=private-x.1'),
    ];
    const { createHmac } = await import('node:crypto');
    const body = JSON.stringify({ time_ms: Date.now(), events: [{ name: 'channel_occupied', channel: 'private-x.1' }] });
    responses.push(
      await post('webhook', { 'content-type': 'application/json', 'x-pusher-key': 'hook-key', 'x-pusher-signature': createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex') }, body),
    );
    for (const response of responses) {
      expect(response.status).toBe(500);
      captured.push(await response.text());
    }
    // Each failure was logged, with the app's message kept apart from its secrets.
    expect(captured.filter((line) => line.includes('threw Error'))).toHaveLength(3);
    expect(captured.join('\n')).toContain('session store refused Bearer [redacted]');
    expectNothingSecret(captured);
  });

  it('Soketi stopped: publish, presenceMemberIds, the guard at its limit and a rotation fail, and nothing logged carries auth_signature', async () => {
    captured.length = 0;
    const realtime = track(createRealtime({ provider: 'soketi', ...SOKETI_APP, host: soketi!.host, port: soketi!.port }));
    const control = createConnectionControl({ realtime, store: createMemoryStore(), tokenSecrets: TOKEN_SECRETS, maxPerUser: 1, refreshMs: 50 });
    const handlers = createRealtimeHandlers({
      realtime,
      channels: defineChannels<{ id: string }, never>({}),
      getUser: () => ({ id: 'u1' }),
      tokenSecrets: control.keyring,
      hooks: control.hooks,
      log: (line) => captured.push(line),
    });
    const signIn = (socketId: string) =>
      handlers.POST(
        new Request('http://app.test/api/realtime/user-auth', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `socket_id=${socketId}` }),
        { params: Promise.resolve({ path: ['user-auth'] }) },
      );
    await realtime.publish('orders', 'created', { id: 1 }); // Soketi is up
    expect((await signIn('1.1')).status).toBe(200); // takes the user's only slot

    await soketi!.stop();
    soketi = undefined;
    expect(isRealtimeError(await failure(realtime.publish('orders', 'created', { id: 2 })), 'provider_unavailable')).toBe(true);
    await failure((await realtime.getProvider()).presenceMemberIds!('presence-room.1'));
    // At the limit the guard asks the provider who is still connected: that fails, and is logged.
    const refused = await signIn('2.2');
    expect(refused.status).toBe(503);
    captured.push(await refused.text());
    // A rotation cannot announce itself, and its deadline timer cannot close anything (console.error).
    // (to k1: the sign-in above used k2, so its connection is pending and must be closed)
    await failure(control.rotation.start({ toKid: 'k1', graceMs: 0 }));
    await eventually(() => expect(captured.some((line) => line.includes('rotation deadline failed'))).toBe(true), 10_000);
    control.dispose();

    const all = captured.join('\n');
    expect(all).toContain('could not be reached');
    expect(all).toContain('/user-auth');
    expect(all).not.toContain('auth_signature');
    expectNothingSecret(captured);
  });
});
