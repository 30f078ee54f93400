import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { isRealtimeError } from '../../src/core/errors.js';
import { keyringFromAblyKeys } from '../../src/core/keyring.js';
import { connectionChannelName } from '../../src/core/systemEvents.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { verifyAblyJwt } from '../../src/providers/ably/tokens.js';
import { createConnectionControl, createRealtime, type ConnectionControl, type Realtime } from '../../src/server/index.js';
import { startAblyStandIn, type AblyStandIn } from '../support/ably/standIn.js';
import { collect, eventually, waitForState } from '../support/events.js';
import { redisNamespace } from '../support/redisFixture.js';

/**
 * Issue 5 on Ably: per-user connection limits, logout and secret rotation of the Ably API keys
 * with live connections. The library's client (its defaults: token endpoint, sign-in, connection
 * channel, system channel) against the library's route handlers wired with connection control,
 * on the local Ably stand-in; two "Next.js instances" share a real Redis.
 */
const OLD_KEY = 'standin.old:ably-old-secret-0123456789';
const NEW_KEY = 'standin.new:ably-new-secret-0123456789';
const OLD = 'standin.old';
const NEW = 'standin.new';

interface User {
  id: string;
}
const channels = defineChannels({
  'private-feed.{id}': (_user: User) => true,
});

interface Instance {
  realtime: Realtime;
  control: ConnectionControl;
  app: ReturnType<typeof createRealtimeHandlers<User>>;
}

let standIn: AblyStandIn;
const redis = redisNamespace('ably-control');
const rotationRedis = redisNamespace('ably-rotation');
const instances: Instance[] = [];
const clients: RealtimeClient[] = [];
/** Every token the handlers answered, per user. */
const issued: Array<{ user: string; status: number; token?: string; socketId?: string; code?: string }> = [];

function makeInstance(maxPerUser: number, namespace = redis): Instance {
  const realtime = createRealtime({ provider: 'ably', apiKeys: [OLD_KEY, NEW_KEY], endpoint: 'localhost', port: standIn.port, tls: false });
  const control = createConnectionControl({
    realtime,
    tokenSecrets: keyringFromAblyKeys([OLD_KEY, NEW_KEY]),
    store: namespace.store(),
    maxPerUser,
    joinGraceMs: 3000,
    refreshMs: 200,
  });
  const app = createRealtimeHandlers<User>({
    realtime,
    channels,
    // The session is the cookie's user id (a test app; real apps look the session up).
    getUser: (request) => {
      const id = /user=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      return id ? { id } : null;
    },
    tokenSecrets: control.keyring,
    hooks: control.hooks,
    tokenRateLimit: false,
  });
  const instance = { realtime, control, app };
  instances.push(instance);
  return instance;
}

function browser(user: string, instance: Instance, extra: { systemEvents?: boolean } = {}): RealtimeClient {
  const routeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(new URL(String(input), 'http://app.test'), init);
    const response = request.method === 'GET' ? await instance.app.GET(request) : await instance.app.POST(request);
    const body = (await response.clone().json()) as { token?: string; error?: { code?: string } };
    issued.push({
      user,
      status: response.status,
      ...(body.token ? { token: body.token } : {}),
      ...(body.error?.code ? { code: body.error.code } : {}),
      ...(new URL(request.url).searchParams.get('socket_id') ? { socketId: new URL(request.url).searchParams.get('socket_id')! } : {}),
    });
    return response;
  }) as typeof fetch;
  const client = createRealtimeClient({
    provider: 'ably',
    ...standIn.clientOptions,
    signIn: true,
    fetch: routeFetch,
    headers: { cookie: `user=${user}` },
    reconnect: { baseMs: 200, capMs: 600 },
    reauthSpreadMs: 500,
    ...extra,
  });
  clients.push(client);
  client.connect().catch(() => undefined);
  return client;
}

const standInConnection = (client: RealtimeClient) => [...standIn.connections.values()].find((connection) => connection.key === client.socketId);
/** The id the guard records an Ably connection under: Ably's connectionId. */
const idOf = (client: RealtimeClient) => standInConnection(client)!.id;
const connectionsOf = (user: string) => [...standIn.connections.values()].filter((connection) => connection.identity.clientId === user);
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** Connected, signed in (socket-bound token) and present on its connection channel. */
async function signedIn(client: RealtimeClient, user: string, timeoutMs = 8000) {
  const name = await connectionChannelName(user);
  await eventually(() => expect(client.subscriptionStatus(name)).toBe('subscribed'), timeoutMs, 25);
}

beforeAll(async () => {
  standIn = await startAblyStandIn({ keys: [OLD_KEY, NEW_KEY] });
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const instance of instances) instance.control.dispose();
  await Promise.all(instances.map((instance) => instance.realtime.close()));
  await standIn?.close();
  await redis.cleanup();
  await rotationRedis.cleanup();
});

describe('Ably: per-user connection limit through the route handlers', () => {
  it('the N+1th connection is refused with too_many_connections; a closed connection frees its slot', async () => {
    const a = makeInstance(3);
    const b = makeInstance(3);
    const tabs = [browser('alice', a), browser('alice', b), browser('alice', a)];
    await Promise.all(tabs.map((tab) => signedIn(tab, 'alice')));
    // Each connection signed in with a token for its own connection id, and the provider lists it.
    for (const tab of tabs) expect(issued.some((entry) => entry.user === 'alice' && entry.socketId === idOf(tab) && entry.status === 200)).toBe(true);
    const channel = await connectionChannelName('alice');
    const listed = await (await a.realtime.getProvider()).presenceMemberIds!(channel);
    expect(listed.sort()).toEqual(tabs.map(idOf).sort());
    expect((await a.control.guard.liveConnections('alice')).length).toBe(3);

    const fourth = browser('alice', b);
    fourth.subscribe('private-feed.1', 'x', () => {});
    await eventually(() => expect(isRealtimeError(fourth.error, 'too_many_connections')).toBe(true), 8000);
    expect(fourth.error?.message).toMatch(/limit is 3/);
    expect(fourth.state).not.toBe('auth_failed');
    expect(issued.some((entry) => entry.user === 'alice' && entry.status === 429 && entry.code === 'too_many_connections')).toBe(true);
    // The refused connection is closed by its client (it retries with backoff, refused each time)
    // and never joins the connection channel; the other three are untouched.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await a.control.guard.liveConnections('alice')).map((record) => record.socketId).sort()).toEqual(tabs.map(idOf).sort());
    expect((await (await b.realtime.getProvider()).presenceMemberIds!(channel)).sort()).toEqual(tabs.map(idOf).sort());
    expect(fourth.subscriptionStatus(channel)).not.toBe('subscribed');
    expect(tabs.every((tab) => tab.state === 'connected')).toBe(true);
    const bob = browser('bob', a);
    await signedIn(bob, 'bob');

    // A tab closes: Ably drops it from the connection channel, the guard asks, the slot is free,
    // and the refused client (still retrying with backoff) gets in.
    tabs[0]!.disconnect();
    await signedIn(fourth, 'alice', 10_000);
    expect(fourth.state).toBe('connected');
    expect((await b.control.guard.liveConnections('alice')).length).toBe(3);
    await eventually(() => expect(connectionsOf('alice').length).toBe(3), 3000);

    expect((await a.control.guard.liveConnections('alice')).map((record) => record.socketId).sort()).toEqual(
      [tabs[1]!, tabs[2]!, fourth].map(idOf).sort(),
    );
  }, 40_000);

  it('logout: terminateUser closes every tab of the user (token revocation) and frees the slots', async () => {
    const [a, b] = instances as [Instance, Instance];
    const tabs = [browser('carol', a), browser('carol', b)];
    await Promise.all(tabs.map((tab) => signedIn(tab, 'carol')));
    const dave = browser('dave', b);
    await signedIn(dave, 'dave');
    expect((await a.control.store.connections('carol')).length).toBe(2);

    await b.control.terminateUser('carol');
    await Promise.all(tabs.map((tab) => waitForState(tab, 'disconnected', 5000)));
    // Told why, as on Pusher (realtime:connection_closed on the connection channel, then revocation).
    for (const tab of tabs) expect(tab.error).toMatchObject({ code: 'closed', details: { reason: 'logout', ablyCode: 40141 } });
    await eventually(() => expect(connectionsOf('carol')).toHaveLength(0), 3000);
    expect(await a.control.store.connections('carol')).toEqual([]);
    // Another user is not affected, and the closed tabs stay closed (no reconnect loop).
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(dave.state).toBe('connected');
    expect(tabs.every((tab) => tab.state === 'disconnected')).toBe(true);
    expect(connectionsOf('carol')).toHaveLength(0);
  }, 20_000);
});

describe('Ably: the token route and the connection channel', () => {
  it('grants the user its own connection channel (presence) and never another user\'s', async () => {
    const instance = instances[0] ?? makeInstance(3);
    const own = await connectionChannelName('frank');
    const other = await connectionChannelName('grace');
    const query = new URLSearchParams([['channel', own], ['channel', other], ['channel', 'private-feed.3']]);
    const response = await instance.app.GET(new Request(`http://app.test/api/realtime/token?${query}`, { headers: { cookie: 'user=frank' } }));
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as { token: string };
    const verified = await verifyAblyJwt(instance.control.keyring, token);
    expect(verified.clientId).toBe('frank');
    expect(Object.keys(verified.capability).sort()).toEqual([own, 'private-feed.3', 'realtime-system'].sort());
    expect(verified.capability[own]).toContain('presence');
    // No connection was recorded: a token without socket_id is a connect, not a sign-in.
    expect(await instance.control.store.connections('frank')).toEqual([]);
  });
});

describe('Ably: a connection that renews its token keeps its slot', () => {
  it('with a limit of 1, an expired token is renewed and the connection signs in again without being refused', async () => {
    const single = makeInstance(1);
    const erin = browser('erin', single);
    await signedIn(erin, 'erin');
    const feed = collect(erin, 'private-feed.9', 'ping');
    await erin.whenSubscribed('private-feed.9');
    // Tokens expire a TTL (default 60 s) after the sign-in, long after joinGraceMs (here 3 s): until
    // then a record that was never listed may belong to a connection still joining, and is kept.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const states: string[] = [];
    erin.onStateChange((state, error) => states.push(`${state}${error ? ` ${(error as { code?: string }).code}` : ''}`));
    standIn.expireToken(idOf(erin));
    // ably-js fetches a fresh token and connects again (the stand-in gives a new connection, as
    // Ably does when a resume is not possible); the new connection is admitted in place of the old.
    await eventually(() => {
      expect(erin.state).toBe('connected');
      expect(standInConnection(erin)).toBeDefined();
    }, 8000);
    const name = await connectionChannelName('erin');
    await eventually(async () => expect(await (await single.realtime.getProvider()).presenceMemberIds!(name)).toEqual([idOf(erin)]), 8000, 50);
    await eventually(async () => expect((await single.control.guard.liveConnections('erin')).map((record) => record.socketId)).toEqual([idOf(erin)]), 8000, 100);
    expect(states).toEqual(['reconnecting token_expired', 'connected']);
    await single.realtime.publish('private-feed.9', 'ping', 1);
    await feed.waitFor(1);
    erin.disconnect();
  }, 20_000);
});

describe('Ably: rotating the Ably API key with live connections', () => {
  it('re-authenticated connections keep their connection, the others are closed at the deadline, the old key is retired', async () => {
    const count = Number(process.env.ABLY_ROTATION_TEST_CONNECTIONS ?? 50);
    const unable = Math.round(count / 10);
    // The earlier tests' clients would hear the broadcast too: this test starts with none.
    for (const client of clients.splice(0)) client.disconnect();
    const a = makeInstance(5, rotationRedis);
    const b = makeInstance(5, rotationRedis);
    const t0 = Date.now();
    const fleet = Array.from({ length: count }, (_, index) => {
      const user = `rot-${index}`;
      // One in ten cannot re-authenticate (an old tab that ignores the system channel).
      const client = browser(user, index % 2 ? a : b, index < unable ? { systemEvents: false } : {});
      return { user, client, canReauth: index >= unable, feed: collect(client, `private-feed.${index % 3}`, 'after') };
    });
    await Promise.all(fleet.map(({ client, user }) => signedIn(client, user, 20_000)));
    const connectedMs = Date.now() - t0;
    for (const { client } of fleet) expect(kidOf(standInConnection(client)!.tokens.at(-1)!)).toBe(OLD);
    const before = new Map(fleet.map(({ client }) => [client, standInConnection(client)!.id]));
    const states = new Map(fleet.map(({ client }) => [client, [] as string[]]));
    for (const { client } of fleet) client.onStateChange((state) => states.get(client)!.push(state));

    const started = await a.control.rotation.start({ toKid: NEW, graceMs: 3000 });
    const announcedMs = Date.now() - t0 - connectedMs;
    expect(started.pending).toBeGreaterThanOrEqual(unable);
    await eventually(async () => expect((await b.control.rotation.status())?.reauthenticated).toBe(count - unable), 5000, 100);
    const reauthMs = Date.now() - started.startedAt;

    // At the deadline the stale connections are closed by revoking their tokens.
    await eventually(async () => expect((await b.control.rotation.status())?.phase).toBe('completed'), started.deadline - Date.now() + 8000, 100);
    const completedMs = Date.now() - started.deadline;
    const status = (await a.control.rotation.status())!;
    expect(status).toMatchObject({ reauthenticated: count - unable, closed: unable, pending: 0, gone: 0, collateral: 0 });

    for (const { client, canReauth } of fleet) {
      if (canReauth) {
        // Same connection at Ably, never dropped, now on a token of the new key.
        expect(standInConnection(client)?.id).toBe(before.get(client));
        expect(states.get(client)).toEqual([]);
        expect(kidOf(standInConnection(client)!.tokens.at(-1)!)).toBe(NEW);
      } else {
        await waitForState(client, 'disconnected', 3000);
        expect(client.error).toMatchObject({ code: 'closed', details: { reason: 'reauth_deadline_passed', rotationId: started.id } });
      }
    }
    const staleUsers = fleet.filter((entry) => !entry.canReauth).map((entry) => entry.user);
    await eventually(() => expect(staleUsers.flatMap(connectionsOf)).toHaveLength(0), 3000);

    // The operator now revokes the old key at Ably (the step the library cannot take): nothing
    // kept depends on it, publishes use the new key, and everyone kept still receives one.
    standIn.revokeKey(OLD);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fleet.filter((entry) => entry.canReauth).every((entry) => entry.client.state === 'connected')).toBe(true);
    await a.realtime.publish(['private-feed.0', 'private-feed.1', 'private-feed.2'], 'after', { ok: true });
    await Promise.all(fleet.filter((entry) => entry.canReauth).map((entry) => entry.feed.waitFor(1, 5000)));
    expect(fleet.filter((entry) => !entry.canReauth).every((entry) => entry.feed.received.length === 0)).toBe(true);

    // The old key is retired on both instances: it verifies nothing, and nothing is signed with it.
    const oldToken = issued.find((entry) => entry.token && kidOf(entry.token) === OLD)!.token!;
    for (const instance of [a, b]) {
      await instance.control.keyring.refresh();
      expect(instance.control.keyring.find(OLD)).toBeUndefined();
      await expect(verifyAblyJwt(instance.control.keyring, oldToken)).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_token'));
    }
    const latecomer = browser('rot-late', b);
    await signedIn(latecomer, 'rot-late');
    expect(kidOf(standInConnection(latecomer)!.tokens.at(-1)!)).toBe(NEW);
    const afterRotation = issued.filter((entry) => entry.token && entry.user === 'rot-late');
    expect(afterRotation.length).toBeGreaterThan(0);
    expect(afterRotation.every((entry) => kidOf(entry.token!) === NEW)).toBe(true);

    // Logout still works with the old key gone at Ably (its revocation request fails; it signs nothing).
    const leaving = fleet.find((entry) => entry.canReauth)!;
    await b.control.terminateUser(leaving.user);
    await waitForState(leaving.client, 'disconnected', 3000);
    expect(leaving.client.error).toMatchObject({ code: 'closed', details: { reason: 'logout' } });

    console.log(
      `[ably rotation] ${count} connections signed in: ${connectedMs} ms; start() to announced: ${announcedMs} ms; ` +
        `${count - unable} re-authenticated ${reauthMs} ms after start; ${unable} closed and key retired ${completedMs} ms after the deadline`,
    );
  }, 60_000);
});
