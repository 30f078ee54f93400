import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createConnectionControl, createRealtime, type ConnectionControl, type Realtime } from '../../src/server/index.js';
import { createMemoryStore } from '../../src/server/state/index.js';
import { connectionChannelName } from '../../src/core/systemEvents.js';
import { collect, eventually, waitForState } from '../support/events.js';
import { sessionOf, signedInAs, type RouteRequest } from '../support/routeFetch.js';

/**
 * The credentials contract end to end: the library's client, with its defaults (relative
 * endpoints, tokens on, connection channel), against the library's own route handlers wired with
 * connection control (limits, rotation) as the README shows, and a real Soketi that restarts.
 * The client's fetch goes straight into the handlers (test/support/routeFetch.ts); every request is recorded.
 */
interface User {
  id: string;
  name: string;
}
const sessions = new Map<string, User>([
  ['s-alice', { id: 'alice', name: 'Alice' }],
  ['s-carol', { id: 'carol', name: 'Carol' }],
  ['s-dave', { id: 'dave', name: 'Dave' }],
  ['s-erin', { id: 'erin', name: 'Erin' }],
]);
const channels = defineChannels({
  'private-orders.{id}': (user: User) => user.id === 'alice' || user.id === 'carol',
  'presence-room.{id}': (user: User) => ({ id: user.id, info: { name: user.name } }),
});

let soketi: SoketiProcess;
let realtime: Realtime;
let control: ConnectionControl;
const requests: RouteRequest[] = [];
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  soketi = await startSoketi({ quiet: true });
  realtime = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port });
  control = newControl();
});

/** Connection control over a fresh store: each test starts with no recorded connections. */
function newControl(): ConnectionControl {
  return createConnectionControl({
    realtime,
    tokenSecrets: 'old:client-test-old-secret-0123456789,new:client-test-new-secret-0123456789',
    store: createMemoryStore(),
    refreshMs: 200,
  });
}
afterAll(async () => {
  for (const client of clients) client.disconnect();
  control?.dispose();
  await realtime?.close();
  await soketi?.stop();
});

const handlers = () =>
  createRealtimeHandlers<User>({
    realtime,
    channels,
    getUser: (request) => sessions.get(sessionOf(request) ?? '') ?? null,
    userFromToken: (claims) => [...sessions.values()].find((user) => user.id === claims.sub) ?? null,
    // Connection control as the README wires it: limits, rotation, the connection channel.
    tokenSecrets: control.keyring,
    hooks: control.hooks,
  });

function browser(session: string, extra: { systemEvents?: boolean } = {}): RealtimeClient {
  // A fresh set of handlers per browser (what each request of a serverless deployment gets).
  const app = handlers();
  const client = createRealtimeClient({
    provider: 'soketi',
    key: soketi.key,
    host: soketi.host,
    port: soketi.port,
    signIn: true,
    ...signedInAs(app, session, { record: requests }),
    reconnect: { baseMs: 300, capMs: 1000 },
    reauthSpreadMs: 500,
    ...extra,
  });
  clients.push(client);
  return client;
}

describe('client + route handlers + connection control, on a real Soketi', () => {
  it('each connect fetches a token from /token and sends it as Bearer to /auth and /user-auth; a logged-out user ends in auth_failed', async () => {
    const alice = browser('s-alice');
    const carol = browser('s-carol');
    const orders = collect(alice, 'private-orders.1', 'paid');
    alice.onPresence('presence-room.1', () => {});
    carol.subscribe('private-orders.2', 'paid', () => {});
    await Promise.all([alice.whenSubscribed('private-orders.1'), alice.whenSubscribed('presence-room.1'), carol.whenSubscribed('private-orders.2')]);
    await eventually(() => expect(requests.filter((r) => r.session === 's-alice' && r.endpoint === 'user-auth')).toHaveLength(1));
    // After signing in, the client joined alice's connection channel (signed by the connection hooks).
    const aliceConnections = await connectionChannelName('alice');
    await eventually(() => expect(alice.subscriptionStatus(aliceConnections)).toBe('subscribed'));

    const firstToken = requests.find((r) => r.session === 's-alice' && r.endpoint === 'token')!.token!;
    for (const request of requests.filter((r) => r.session === 's-alice' && r.method === 'POST')) {
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
    await eventually(() => expect(requests.filter((r) => r.session === 's-alice' && r.at >= stoppedAt && r.endpoint === 'user-auth')).toHaveLength(1));

    const after = requests.filter((r) => r.session === 's-alice' && r.at >= stoppedAt);
    const newTokens = after.filter((r) => r.endpoint === 'token' && r.status === 200).map((r) => r.token);
    expect(newTokens.length).toBeGreaterThanOrEqual(1);
    expect(newTokens).not.toContain(firstToken);
    const posts = after.filter((r) => r.method === 'POST');
    expect(posts.map((r) => `/api/realtime/${r.endpoint}:${r.channel ?? ''}`).sort()).toEqual(
      [
        `/api/realtime/auth:${await connectionChannelName('alice')}`,
        '/api/realtime/auth:presence-room.1',
        '/api/realtime/auth:private-orders.1',
        '/api/realtime/user-auth:',
      ].sort(),
    );
    // The connection channel shows the server which of alice's connections are alive.
    const provider = await realtime.getProvider();
    await eventually(async () => expect(await provider.presenceMemberIds!(aliceConnections)).toEqual([alice.socketId]));
    expect((await control.guard.liveConnections('alice')).map((record) => record.socketId)).toContain(alice.socketId);
    for (const post of posts) {
      expect(post.bearer).toBe(newTokens.at(-1));
      expect(post.status).toBe(200);
    }
    // Carol's token request was refused (401) and nothing was retried after that.
    const carolAfter = requests.filter((r) => r.session === 's-carol' && r.at >= stoppedAt);
    expect(carolAfter.at(-1)).toMatchObject({ endpoint: 'token', status: 401 });
    expect(carolAfter.filter((r) => r.method === 'POST')).toEqual([]);
    const carolCount = carolAfter.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(requests.filter((r) => r.session === 's-carol' && r.at >= stoppedAt)).toHaveLength(carolCount);

    await realtime.publish('private-orders.1', 'paid', { order: 1 });
    expect(await orders.waitFor(1)).toEqual([{ order: 1 }]);
  }, 60_000);

  it('secret rotation: the client re-authenticates in place and is kept; one that does not is closed at the deadline and told why', async () => {
    for (const client of clients.splice(0)) client.disconnect();
    control.dispose();
    control = newControl();
    const dave = browser('s-dave');
    // A client that never hears reauth_required (an old version of an app, say).
    const erin = browser('s-erin', { systemEvents: false });
    const reauthenticated = new Promise((resolve) => dave.on('reauthenticated', resolve));
    const room = collect(dave, 'presence-room.2', 'news');
    erin.onPresence('presence-room.2', () => {});
    for (const [client, user] of [[dave, 'dave'], [erin, 'erin']] as const) {
      const name = await connectionChannelName(user);
      await eventually(() => expect(client.subscriptionStatus(name)).toBe('subscribed'));
    }
    await dave.whenSubscribed('presence-room.2');
    const daveSocket = dave.socketId;
    const daveStates: string[] = [];
    dave.onStateChange((state) => daveStates.push(state));

    const startedAt = Date.now();
    const started = await control.rotation.start({ toKid: 'new', graceMs: 2500 });
    expect(started.pending).toBe(2);
    expect(await reauthenticated).toEqual({ rotationId: started.id });
    // The re-authentication was one request: a token signed by the new key with this socket's
    // sign-in, which Soketi accepted (it closes a connection whose pusher:signin does not verify).
    const reauthRequests = requests.filter((r) => r.session === 's-dave' && r.at >= startedAt);
    expect(reauthRequests.map((r) => [r.endpoint, r.status, r.socketId, r.signedIn])).toEqual([['token', 200, daveSocket, true]]);
    expect(JSON.parse(Buffer.from(reauthRequests[0]!.token!.split('.')[0]!, 'base64url').toString()).kid).toBe('new');

    await waitForState(erin, 'disconnected', 15_000);
    expect(erin.error).toMatchObject({ code: 'closed', details: { closeCode: 4009, reason: 'reauth_deadline_passed', rotationId: started.id } });
    await eventually(async () => expect((await control.rotation.status(started.id))?.phase).toBe('completed'), 10_000);
    const finished = (await control.rotation.status(started.id))!;
    expect(finished).toMatchObject({ pending: 0, reauthenticated: 1, closed: 1, collateral: 0 });

    // Dave never noticed: same connection, still receiving.
    expect(dave.state).toBe('connected');
    expect(dave.socketId).toBe(daveSocket);
    expect(daveStates).toEqual([]);
    await realtime.publish('presence-room.2', 'news', 'after rotation');
    expect(await room.waitFor(1)).toEqual(['after rotation']);
  }, 40_000);
});
