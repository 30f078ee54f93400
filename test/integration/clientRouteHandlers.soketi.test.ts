import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { collect, eventually, waitForState } from '../support/events.js';

/**
 * The credentials contract end to end: the library's client, with its defaults (relative
 * endpoints, tokens on), against the library's own route handlers and a real Soketi that
 * restarts. The client's fetch goes straight into the handlers; every request is recorded.
 */
interface User {
  id: string;
  name: string;
}
const sessions = new Map<string, User>([
  ['s-alice', { id: 'alice', name: 'Alice' }],
  ['s-carol', { id: 'carol', name: 'Carol' }],
]);
const channels = defineChannels({
  'private-orders.{id}': (user: User) => user.id === 'alice' || user.id === 'carol',
  'presence-room.{id}': (user: User) => ({ id: user.id, info: { name: user.name } }),
});

interface Recorded {
  user: string;
  method: string;
  path: string;
  bearer: string | undefined;
  status: number;
  token?: string;
  at: number;
}

let soketi: SoketiProcess;
let realtime: Realtime;
const requests: Recorded[] = [];
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  soketi = await startSoketi({ quiet: true });
  realtime = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port });
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await realtime?.close();
  await soketi?.stop();
});

const handlers = () =>
  createRealtimeHandlers<User>({
    realtime,
    channels,
    getUser: (request) => sessions.get(/session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1] ?? '') ?? null,
    userFromToken: (claims) => [...sessions.values()].find((user) => user.id === claims.sub) ?? null,
    tokenSecrets: 'k1:client-route-handlers-test-secret',
  });

function browser(session: string, user: string): RealtimeClient {
  const app = handlers();
  const routeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(new URL(String(input), 'http://app.test'), init);
    const response = request.method === 'GET' ? await app.GET(request) : await app.POST(request);
    const entry: Recorded = {
      user,
      method: request.method,
      path: new URL(request.url).pathname,
      bearer: /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1],
      status: response.status,
      at: Date.now(),
    };
    if (entry.path.endsWith('/token') && response.ok) entry.token = ((await response.clone().json()) as { token: string }).token;
    requests.push(entry);
    return response;
  }) as typeof fetch;
  const client = createRealtimeClient({
    provider: 'soketi',
    key: soketi.key,
    host: soketi.host,
    port: soketi.port,
    signIn: true,
    fetch: routeFetch,
    headers: { cookie: `session=${session}` },
    reconnect: { baseMs: 300, capMs: 1000 },
  });
  clients.push(client);
  return client;
}

describe('client + route handlers + Soketi restart', () => {
  it('each connect fetches a token from /token and sends it as Bearer to /auth and /user-auth; a logged-out user ends in auth_failed', async () => {
    const alice = browser('s-alice', 'alice');
    const carol = browser('s-carol', 'carol');
    const orders = collect(alice, 'private-orders.1', 'paid');
    alice.onPresence('presence-room.1', () => {});
    carol.subscribe('private-orders.2', 'paid', () => {});
    await Promise.all([alice.whenSubscribed('private-orders.1'), alice.whenSubscribed('presence-room.1'), carol.whenSubscribed('private-orders.2')]);
    await eventually(() => expect(requests.filter((r) => r.user === 'alice' && r.path.endsWith('/user-auth'))).toHaveLength(1));

    const firstToken = requests.find((r) => r.user === 'alice' && r.path.endsWith('/token'))!.token!;
    for (const request of requests.filter((r) => r.user === 'alice' && r.method === 'POST')) {
      expect(request.bearer).toBe(firstToken);
      expect(request.status).toBe(200);
    }

    // Carol logs out (her session ends) while Soketi restarts.
    sessions.delete('s-carol');
    const port = soketi.port;
    const stoppedAt = Date.now();
    await soketi.stop();
    soketi = await startSoketi({ port, quiet: true });

    await waitForState(carol, 'auth_failed', 20_000);
    await eventually(() => expect(alice.subscriptionStatus('private-orders.1')).toBe('subscribed'), 20_000);
    await alice.whenSubscribed('presence-room.1');
    await eventually(() => expect(requests.filter((r) => r.user === 'alice' && r.at >= stoppedAt && r.path.endsWith('/user-auth'))).toHaveLength(1));

    const after = requests.filter((r) => r.user === 'alice' && r.at >= stoppedAt);
    const newTokens = after.filter((r) => r.path.endsWith('/token') && r.status === 200).map((r) => r.token);
    expect(newTokens.length).toBeGreaterThanOrEqual(1);
    expect(newTokens).not.toContain(firstToken);
    const posts = after.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path).sort()).toEqual(['/api/realtime/auth', '/api/realtime/auth', '/api/realtime/user-auth']);
    for (const post of posts) {
      expect(post.bearer).toBe(newTokens.at(-1));
      expect(post.status).toBe(200);
    }
    // Carol's token request was refused (401) and nothing was retried after that.
    const carolAfter = requests.filter((r) => r.user === 'carol' && r.at >= stoppedAt);
    expect(carolAfter.at(-1)).toMatchObject({ path: '/api/realtime/token', status: 401 });
    expect(carolAfter.filter((r) => r.method === 'POST')).toEqual([]);
    const carolCount = carolAfter.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(requests.filter((r) => r.user === 'carol' && r.at >= stoppedAt)).toHaveLength(carolCount);

    await realtime.publish('private-orders.1', 'paid', { order: 1 });
    expect(await orders.waitFor(1)).toEqual([{ order: 1 }]);
  }, 60_000);
});
