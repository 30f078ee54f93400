import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import PusherModule from 'pusher-js';
import type * as PusherCore from 'pusher-js/types/src/core/pusher.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, nextRealtimeEnv, startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { eventually } from '../support/events.js';

/**
 * A real Next.js app (test/next-app) that uses the package the way users do, through
 * `next-realtime`, `next-realtime/server` and `next-realtime/next` (the built dist/, linked as
 * node_modules/next-realtime). One production build per run (`next build`, slow on 2 cores),
 * then `next start` on a free port, real pusher-js clients in Node and a real Soketi whose
 * webhooks point at the app.
 */
type Pusher = PusherCore.default;
// pusher-js is CommonJS: its default export is the class under Node's ESM interop.
const Pusher = ((PusherModule as { default?: unknown }).default ?? PusherModule) as unknown as new (key: string, options: object) => Pusher;
const run = promisify(execFile);
const require = createRequire(import.meta.url);
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const appDir = fileURLToPath(new URL('../next-app/', import.meta.url));
const nextBin = path.join(path.dirname(require.resolve('next/package.json')), 'dist', 'bin', 'next');
const tsupBin = path.join(path.dirname(require.resolve('tsup/package.json')), 'dist', 'cli-default.js');

let soketi: SoketiProcess;
let next: ChildProcess | undefined;
let base: string;
const nextOutput: string[] = [];
const clients: Pusher[] = [];

async function stopNext(): Promise<void> {
  const child = next;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // `next start` was started in its own process group; stop that group (ours), nothing else.
  process.kill(-child.pid!, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  // npm test builds dist/ before vitest; running this file alone builds it if it is missing.
  if (!existsSync(path.join(repositoryRoot, 'dist', 'next', 'index.js'))) {
    await run(process.execPath, [tsupBin], { cwd: repositoryRoot, timeout: 120_000 });
  }
  const link = path.join(appDir, 'node_modules', 'next-realtime');
  if (!existsSync(link)) {
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.relative(path.dirname(link), repositoryRoot), link, 'dir');
  }
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  soketi = await startSoketi({
    quiet: true,
    env: {
      SOKETI_DEFAULT_APP_WEBHOOKS: JSON.stringify([
        { url: `${base}/api/realtime/webhook`, event_types: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'] },
      ]),
    },
  });
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    ...nextRealtimeEnv(soketi),
    REALTIME_TOKEN_SECRETS: 'app-2026:0f9b2c4e6a8d1357924680acebdf1357',
  };
  // A fresh build every run: no manifest or chunk from an earlier build can make this pass.
  rmSync(path.join(appDir, '.next'), { recursive: true, force: true });
  const started = Date.now();
  await run(process.execPath, [nextBin, 'build'], { cwd: appDir, env, timeout: 500_000, maxBuffer: 32 * 1024 * 1024 });
  console.log(`next build took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  next = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: appDir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  next.stdout!.on('data', (chunk) => nextOutput.push(String(chunk)));
  next.stderr!.on('data', (chunk) => nextOutput.push(String(chunk)));
  await eventually(async () => {
    if (next!.exitCode !== null) throw new Error(`next start exited: ${nextOutput.join('')}`);
    const response = await fetch(`${base}/api/webhook-log`);
    if (!response.ok) throw new Error(`not ready: ${response.status}`);
  }, 60_000, 200);
}, 600_000);

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await stopNext();
  await soketi?.stop();
}, 60_000);

type Auth = { bearer: string } | { cookie: string };

function connect(auth: Auth): Promise<Pusher> {
  const channelAuthorization =
    'bearer' in auth
      ? // pusher-js's own ajax transport, exactly as a browser app configures it.
        { endpoint: `${base}/api/realtime/auth`, transport: 'ajax' as const, headers: { Authorization: `Bearer ${auth.bearer}` } }
      : {
          // Node's fetch may send a Cookie header (pusher-js's XMLHttpRequest may not).
          endpoint: `${base}/api/realtime/auth`,
          transport: 'ajax' as const,
          customHandler: (
            { socketId, channelName }: { socketId: string; channelName: string },
            callback: (error: Error | null, data: any) => void,
          ) => {
            fetch(`${base}/api/realtime/auth`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: auth.cookie },
              body: new URLSearchParams({ socket_id: socketId, channel_name: channelName }),
            })
              .then(async (response) => (response.ok ? callback(null, await response.json()) : callback(new Error(`auth ${response.status}`), null)))
              .catch((error) => callback(error, null));
          },
        };
  const client = new Pusher(soketi.key, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: soketi.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    channelAuthorization,
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.connection.bind('connected', () => resolve(client));
    client.connection.bind('error', reject);
  });
}

function subscribe(client: Pusher, channel: string): Promise<{ ok: true; channel: any } | { ok: false; status: number | undefined }> {
  return new Promise((resolve) => {
    const subscribed = client.subscribe(channel);
    subscribed.bind('pusher:subscription_succeeded', () => resolve({ ok: true, channel: subscribed }));
    subscribed.bind('pusher:subscription_error', (error: { status?: number }) => resolve({ ok: false, status: error?.status }));
  });
}

async function tokenFor(session: string): Promise<string> {
  const response = await fetch(`${base}/api/realtime/token`, { headers: { cookie: `session=${session}` } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { token: string; expiresAt: number; provider: string };
  expect(body.provider).toBe('soketi');
  expect(body.expiresAt).toBeGreaterThan(Date.now());
  return body.token;
}

function received(client: Pusher, channel: string, event: string): unknown[] {
  const out: unknown[] = [];
  client.channel(channel)!.bind(event, (data: unknown) => out.push(data));
  return out;
}

describe('a real Next.js app (next build + next start) with real pusher-js and Soketi', () => {
  let alice: Pusher;
  let aliceTwo: Pusher;

  it('alice subscribes to a private and a presence channel through /api/realtime/auth (bearer token from /token)', async () => {
    alice = await connect({ bearer: await tokenFor('alice') });
    const orders = await subscribe(alice, 'private-orders.42');
    expect(orders.ok).toBe(true);
    const room = await subscribe(alice, 'presence-room.1');
    expect(room.ok).toBe(true);
    if (room.ok) expect(room.channel.members.me).toEqual({ id: 'u1', info: { name: 'Alice' } });
    // A second connection with the session cookie instead of a token.
    aliceTwo = await connect({ cookie: 'session=alice' });
    expect((await subscribe(aliceTwo, 'private-orders.42')).ok).toBe(true);
  }, 30_000);

  it('bob, whom the policy refuses, gets 403 and no subscription', async () => {
    const bob = await connect({ bearer: await tokenFor('bob') });
    expect(await subscribe(bob, 'private-orders.42')).toEqual({ ok: false, status: 403 });
    expect(await subscribe(bob, 'presence-room.1')).toEqual({ ok: false, status: 403 });
    const direct = await fetch(`${base}/api/realtime/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'session=bob' },
      body: `socket_id=${bob.connection.socket_id}&channel_name=private-orders.42`,
    });
    expect(direct.status).toBe(403);
    expect(await direct.json()).toEqual({ error: { code: 'forbidden', message: 'not allowed to subscribe to private-orders.42' } });
    // Nothing reaches bob on the channel he was refused.
    const bobGot: unknown[] = [];
    bob.channel('private-orders.42')?.bind('order.updated', (data: unknown) => bobGot.push(data));
    const publish = await fetch(`${base}/api/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId":"42","status":"paid"}' });
    expect(publish.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobGot).toEqual([]);
    const anonymous = await fetch(`${base}/api/realtime/token`);
    expect(anonymous.status).toBe(401);
  }, 30_000);

  it('publish from a route handler excludes the sender named by X-Socket-ID; typed payloads are validated', async () => {
    const first = received(alice, 'private-orders.42', 'order.updated');
    const second = received(aliceTwo, 'private-orders.42', 'order.updated');
    const excluded = await fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-socket-id': alice.connection.socket_id },
      body: JSON.stringify({ orderId: '42', status: 'shipped' }),
    });
    expect(excluded.status).toBe(200);
    await eventually(() => expect(second).toEqual([{ orderId: '42', status: 'shipped' }]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(first).toEqual([]);
    const wrong = await fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: '42', status: 'lost' }),
    });
    expect(wrong.status).toBe(400);
    const body = (await wrong.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_payload');
    expect(body.error.message).toContain('status');
  }, 30_000);

  it("a 'use server' action publishes, excluding the sender given in the X-Socket-ID header", async () => {
    const manifest = JSON.parse(readFileSync(path.join(appDir, '.next', 'server', 'server-reference-manifest.json'), 'utf8')) as {
      node: Record<string, { exportedName?: string }>;
    };
    const actionId = Object.entries(manifest.node).find(([, entry]) => entry.exportedName === 'publishOrderUpdate')?.[0];
    expect(actionId).toBeTruthy();
    const first = received(alice, 'private-orders.42', 'order.updated');
    const second = received(aliceTwo, 'private-orders.42', 'order.updated');
    // What the browser sends when a client component calls the action (plain JSON arguments).
    const response = await fetch(`${base}/`, {
      method: 'POST',
      headers: {
        'next-action': actionId!,
        'content-type': 'text/plain;charset=UTF-8',
        accept: 'text/x-component',
        'x-socket-id': alice.connection.socket_id,
      },
      body: JSON.stringify([{ orderId: '42', status: 'paid' }]),
    });
    expect(response.status).toBe(200);
    await response.text();
    await eventually(() => expect(second).toEqual([{ orderId: '42', status: 'paid' }]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(first).toEqual([]);
  }, 30_000);

  it("Soketi's signed webhooks reach the app's /api/realtime/webhook, normalised; a forged one is refused", async () => {
    await eventually(async () => {
      const log = (await (await fetch(`${base}/api/webhook-log`)).json()) as Array<Record<string, unknown>>;
      expect(log).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'channel_occupied', channel: 'private-orders.42' }),
          expect.objectContaining({ type: 'member_added', channel: 'presence-room.1', userId: 'u1' }),
        ]),
      );
    }, 10_000);
    const forged = await fetch(`${base}/api/realtime/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pusher-key': soketi.key, 'x-pusher-signature': '0'.repeat(64) },
      body: JSON.stringify({ time_ms: 1, events: [{ name: 'member_added', channel: 'presence-room.1', user_id: 'evil' }] }),
    });
    expect(forged.status).toBe(401);
    const log = (await (await fetch(`${base}/api/webhook-log`)).json()) as Array<Record<string, unknown>>;
    expect(log.some((event) => event.userId === 'evil')).toBe(false);
  }, 30_000);

  it('the server log has no stack traces or secrets', () => {
    const output = nextOutput.join('');
    expect(output).not.toContain(soketi.secret);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
