import { afterEach, describe, expect, it } from 'vitest';
import {
  createRealtimeClient,
  RealtimeError,
  REAUTH_REQUIRED_EVENT,
  SYSTEM_CHANNEL,
  type ClientOptions,
  type ClientTransport,
  type RealtimeClient,
  type RealtimeClientEvents,
} from '../../src/client/index.js';
import type { ChannelAuthorizer } from '../../src/core/provider.js';
import { CONNECTION_CHANNEL_PREFIX, connectionChannelName } from '../../src/core/systemEvents.js';
import { createMemoryTransport, getMemoryHub, type MemoryHub } from '../../src/testing/index.js';
import { collect, eventually, waitForState } from '../support/events.js';

/**
 * The provider-agnostic client over the memory provider: credentials, reconnect policy,
 * re-authentication, reference counting. The hub checks every signature as Soketi does.
 */
let hubCounter = 0;
const clients: RealtimeClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** A credential source and auth endpoints as the app's server would run them, in process. */
function credentialServer(hub: MemoryHub) {
  let counter = 0;
  const issued: Array<{ user: string; token: string; at: number }> = [];
  const revoked = new Set<string>();
  const loggedOut = new Set<string>();
  const forbidden = new Set<string>();
  const tokenCalls: Array<{ channel: string; token: string | undefined }> = [];
  const userOf = (token: string | undefined) => {
    const found = issued.find((issue) => issue.token === token);
    if (!found || revoked.has(found.token) || loggedOut.has(found.user)) {
      throw new RealtimeError('unauthorized', 'bad or revoked token', { status: 401 });
    }
    return found.user;
  };
  return {
    issued,
    revoked,
    loggedOut,
    forbidden,
    tokenCalls,
    options(user: string): Pick<ClientOptions, 'getCredentials' | 'authorizeChannel' | 'authenticateUser' | 'signIn'> {
      return {
        signIn: true,
        getCredentials: async () => {
          if (loggedOut.has(user)) throw Object.assign(new Error('log in first'), { status: 401 });
          const token = `token-${user}-${++counter}`;
          issued.push({ user, token, at: Date.now() });
          return { token, expiresAt: Date.now() + 60_000 };
        },
        authorizeChannel: (async ({ socketId, channel, token }) => {
          tokenCalls.push({ channel, token });
          const owner = userOf(token);
          if (forbidden.has(channel)) throw new RealtimeError('forbidden', `${owner} may not read ${channel}`, { status: 403 });
          return hub.authorizeChannel(socketId, channel, channel.startsWith('presence-') ? { id: owner } : undefined);
        }) satisfies ChannelAuthorizer,
        authenticateUser: async ({ socketId, token }) => hub.authenticateUser(socketId, { id: userOf(token) }),
      };
    },
  };
}

function setup() {
  const hubName = `client-test-${process.pid}-${++hubCounter}`;
  const hub = getMemoryHub(hubName);
  const server = credentialServer(hub);
  const make = (user: string, extra: Partial<ClientOptions> = {}) => {
    // The connection channel (rotation, limits) has its own test below; here it would only add a channel to every count.
    const client = createRealtimeClient({ provider: 'memory', hub: hubName, ...server.options(user), reconnect: { baseMs: 50, capMs: 400 }, connectionChannel: false, ...extra } as ClientOptions);
    clients.push(client);
    return client;
  };
  return { hub, hubName, server, make };
}

function record<K extends keyof RealtimeClientEvents>(client: RealtimeClient, event: K) {
  const seen: Array<RealtimeClientEvents[K]> = [];
  client.on(event, (payload) => seen.push(payload));
  return seen;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('credentials', () => {
  it('fetches a token before connecting and sends it with every auth request', async () => {
    const { server, make } = setup();
    const client = make('ann');
    expect(server.issued).toHaveLength(0);
    const inbox = collect(client, 'private-a.1', 'e');
    await client.whenSubscribed('private-a.1');
    expect(server.issued.map((issue) => issue.user)).toEqual(['ann']);
    expect(server.tokenCalls).toEqual([{ channel: 'private-a.1', token: server.issued[0]!.token }]);
    inbox.unsubscribe();
  });

  it('a revoked token is never reused: a 401 on channel auth fetches a new one and retries once', async () => {
    const { server, make } = setup();
    const client = make('ben');
    client.subscribe('private-b.1', 'e', () => {});
    await client.whenSubscribed('private-b.1');
    server.revoked.add(server.issued[0]!.token);
    client.subscribe('private-b.2', 'e', () => {});
    await client.whenSubscribed('private-b.2');
    expect(server.issued).toHaveLength(2);
    expect(server.tokenCalls.map((call) => call.token)).toEqual([server.issued[0]!.token, server.issued[0]!.token, server.issued[1]!.token]);
  });

  it('a 401 from getCredentials is terminal: auth_failed, nothing retried, connect() starts again after login', async () => {
    const { server, make } = setup();
    server.loggedOut.add('cat');
    const client = make('cat');
    const failures = record(client, 'auth_failed');
    const retries = record(client, 'reconnect_scheduled');
    client.subscribe('private-c.1', 'e', () => {});
    await expect(client.whenSubscribed('private-c.1')).rejects.toMatchObject({ code: 'unauthorized' });
    expect(client.state).toBe('auth_failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: 'unauthorized', status: 401 });
    await sleep(300);
    expect(retries).toEqual([]);
    expect(client.state).toBe('auth_failed');
    // Subscribing more does not reconnect a client the server refused...
    client.subscribe('c.public', 'e', () => {});
    await sleep(50);
    expect(client.state).toBe('auth_failed');
    // ...the app does, once the user logged in again.
    server.loggedOut.delete('cat');
    await client.connect();
    await client.whenSubscribed('private-c.1');
    expect(server.issued).toHaveLength(1);
  });

  it('a 403 from user authentication is terminal too', async () => {
    const { hub, make } = setup();
    const client = make('dan', {
      authenticateUser: async () => {
        throw new RealtimeError('forbidden', 'banned', { status: 403 });
      },
    });
    await expect(client.connect()).rejects.toMatchObject({ code: 'forbidden' });
    expect(client.state).toBe('auth_failed');
    expect(hub.connectionCount).toBe(0);
  });

  it('a network failure of getCredentials is retried with backoff until it works', async () => {
    const { make, server } = setup();
    let failures = 3;
    const base = server.options('eve');
    const client = make('eve', {
      getCredentials: async (request) => {
        if (failures-- > 0) throw new TypeError('fetch failed');
        return base.getCredentials!(request);
      },
    });
    const retries = record(client, 'reconnect_scheduled');
    await client.connect();
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2, 3]);
    expect(retries.every((retry) => (retry.error as RealtimeError).code === 'provider_unavailable')).toBe(true);
    expect(retries.map((retry) => retry.delayMs).every((delay, i) => delay < 50 * 2 ** i)).toBe(true);
  });

  it('a channel the policy refuses fails alone; the connection and other channels stay', async () => {
    const { server, make } = setup();
    server.forbidden.add('private-secret.1');
    const client = make('fay');
    const errors = record(client, 'subscription_error');
    const ok = collect(client, 'private-ok.1', 'e');
    client.subscribe('private-secret.1', 'e', () => {});
    await expect(client.whenSubscribed('private-secret.1')).rejects.toMatchObject({ code: 'forbidden' });
    await client.whenSubscribed('private-ok.1');
    expect(client.state).toBe('connected');
    expect(errors.map((error) => error.channel)).toEqual(['private-secret.1']);
    expect(client.subscriptionStatus('private-secret.1')).toBe('failed');
    ok.unsubscribe();
  });

  it('a channel whose authorization failed for a retryable reason (503) is tried again with backoff', async () => {
    const { server, make, hub } = setup();
    let failures = 2;
    const base = server.options('una');
    const client = make('una', {
      authorizeChannel: async (request) => {
        if (failures-- > 0) throw new RealtimeError('provider_unavailable', 'auth endpoint answered 503', { status: 503 });
        return base.authorizeChannel!(request);
      },
    });
    const errors = record(client, 'subscription_error');
    const inbox = collect(client, 'private-u.1', 'e');
    await expect(client.whenSubscribed('private-u.1')).rejects.toMatchObject({ status: 503 });
    await eventually(() => expect(client.subscriptionStatus('private-u.1')).toBe('subscribed'), 3000);
    expect(errors).toHaveLength(2);
    expect(client.state).toBe('connected');
    hub.publish({ channels: ['private-u.1'], event: 'e', data: 1, json: '1' });
    expect(await inbox.waitFor(1)).toEqual([1]);
  });

  it('a relative token endpoint outside a browser is a configuration error, not an endless retry', async () => {
    const client = createRealtimeClient({ provider: 'memory', hub: 'unused', reconnect: { baseMs: 10 } });
    clients.push(client);
    await expect(client.connect()).rejects.toMatchObject({ code: 'invalid_config' });
    expect(client.state).toBe('failed');
    expect(client.error?.message).toMatch(/relative/);
  });

  it('tokenEndpoint: false turns tokens off (cookie-only auth)', async () => {
    const { hubName, hub } = setup();
    const seen: Array<string | undefined> = [];
    const client = createRealtimeClient({
      provider: 'memory',
      hub: hubName,
      tokenEndpoint: false,
      fetch: async (input, init) => {
        seen.push((init?.headers as Record<string, string>)?.authorization);
        const form = new URLSearchParams(String(init?.body));
        return Response.json(await hub.authorizeChannel(form.get('socket_id')!, form.get('channel_name')!));
      },
      authEndpoint: 'http://app.test/api/realtime/auth',
    });
    clients.push(client);
    client.subscribe('private-cookie.1', 'e', () => {});
    await client.whenSubscribed('private-cookie.1');
    expect(seen).toEqual([undefined]);
  });

  it('token-based transports (Ably) get the freshly fetched token once, then a new one for every renewal', async () => {
    const { hubName, server, make } = setup();
    const handed: string[] = [];
    const client = make('gus', {
      createTransport: (auth) => {
        const inner = createMemoryTransport({ hub: hubName, authorizeChannel: auth.authorizeChannel, authenticateUser: auth.authenticateUser });
        const transport: ClientTransport = {
          ...inner,
          get socketId() {
            return inner.socketId;
          },
          // Like ably-js: the connection asks its authCallback for a token before it connects.
          connect() {
            void auth.fetchToken!({ channels: ['x'] }).then((token) => {
              handed.push(token.token);
              inner.connect();
            });
          },
          async reauthenticate() {
            handed.push((await auth.fetchToken!({ channels: ['x'] })).token);
          },
        };
        return transport;
      },
    });
    await client.connect();
    expect(server.issued.map((issue) => issue.token)).toEqual(handed);
    await client.reauthenticate();
    expect(handed).toHaveLength(2);
    expect(server.issued.map((issue) => issue.token)).toEqual(handed);
  });
});

describe('reconnect (memory hub going away and coming back)', () => {
  it('every client comes back with a new token, re-authorised, with reconnects spread over the window', async () => {
    const { hub, server, make } = setup();
    const count = 60;
    const reconnect = { baseMs: 600, capMs: 2400, connectTimeoutMs: 500 };
    const fleet = Array.from({ length: count }, (_, i) => {
      const client = make(`u${i}`, { reconnect });
      const inbox = collect(client, 'private-room.1', 'e');
      const connectedAt: number[] = [];
      client.onStateChange((state) => state === 'connected' && connectedAt.push(Date.now()));
      return { client, inbox, connectedAt, user: `u${i}` };
    });
    await Promise.all(fleet.map(({ client }) => client.whenSubscribed('private-room.1')));
    const droppedAt = Date.now();
    hub.setAvailable(false);
    expect(fleet.every(({ client }) => client.state === 'reconnecting')).toBe(true);
    await sleep(300);
    const upAt = Date.now();
    hub.setAvailable(true);
    await Promise.all(fleet.map(({ client }) => waitForState(client, 'connected', 10_000)));
    await Promise.all(fleet.map(({ client }) => client.whenSubscribed('private-room.1')));
    hub.publish({ channels: ['private-room.1'], event: 'e', data: 1, json: '1' });
    await Promise.all(fleet.map(({ inbox }) => inbox.waitFor(1)));

    for (const { user } of fleet) {
      const tokens = server.issued.filter((issue) => issue.user === user);
      expect(tokens.filter((issue) => issue.at >= droppedAt).length).toBeGreaterThanOrEqual(1);
      // The channel was authorised again with the newest token.
      expect(server.tokenCalls.filter((call) => call.token?.startsWith(`token-${user}-`)).at(-1)!.token).toBe(tokens.at(-1)!.token);
    }
    const times = fleet.map(({ connectedAt }) => connectedAt.at(-1)! - upAt).sort((a, b) => a - b);
    const within100 = Math.max(...times.map((t) => times.filter((u) => u >= t && u - t <= 100).length));
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(400);
    expect(within100).toBeLessThan(count * 0.5);
  });

  it('gives up after maxAttempts (state failed)', async () => {
    const { hub, make } = setup();
    const client = make('hal', { reconnect: { baseMs: 5, capMs: 10, maxAttempts: 3 } });
    await client.connect();
    hub.setAvailable(false);
    await waitForState(client, 'failed', 3000);
    expect(client.error?.message).toMatch(/gave up after 3/);
    hub.setAvailable(true);
  });

  it('an attempt that never connects counts as failed after connectTimeoutMs', async () => {
    const { make, hubName } = setup();
    let connects = 0;
    const client = make('ida', {
      reconnect: { baseMs: 10, capMs: 20, connectTimeoutMs: 100 },
      createTransport: (auth) => {
        const inner = createMemoryTransport({ hub: hubName, authorizeChannel: auth.authorizeChannel, authenticateUser: auth.authenticateUser });
        return Object.assign(Object.create(inner) as ClientTransport, {
          connect() {
            // The first two attempts hang (a half-open network), the third goes through.
            if (++connects > 2) inner.connect();
          },
        });
      },
    });
    const retries = record(client, 'reconnect_scheduled');
    await client.connect();
    expect(connects).toBe(3);
    // Each retry is given twice as long (test/unit/realtimeClient.attemptTimeout.test.ts).
    expect(retries.map((retry) => retry.error?.message)).toEqual(['not connected within 100 ms', 'not connected within 200 ms']);
  });

  it('an expired token reported by a token-based SDK is renewed in place (no close, no backoff); a stalled renewal is retried', async () => {
    const { make, hubName } = setup();
    let emit: (state: 'reconnecting' | 'connected', error?: Error) => void = () => {};
    let disconnects = 0;
    const client = make('kay', {
      reconnect: { baseMs: 10, capMs: 20, connectTimeoutMs: 150 },
      createTransport: (auth) => {
        const inner = createMemoryTransport({ hub: hubName, authorizeChannel: auth.authorizeChannel, authenticateUser: auth.authenticateUser });
        const listeners = new Set<(state: any, error?: Error) => void>();
        inner.onStateChange((state, error) => listeners.forEach((listener) => listener(state, error)));
        emit = (state, error) => listeners.forEach((listener) => listener(state, error));
        return Object.assign(Object.create(inner) as ClientTransport, {
          onStateChange(listener: (state: any, error?: Error) => void) {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
          disconnect() {
            disconnects += 1;
            inner.disconnect();
          },
        });
      },
    });
    const retries = record(client, 'reconnect_scheduled');
    await client.connect();
    const expired = new RealtimeError('token_expired', 'token expired', { status: 401 });
    emit('reconnecting', expired);
    expect(client.state).toBe('reconnecting');
    // The SDK reporting its own renewal attempt (Ably: 'connecting' again) is not a new failure.
    emit('reconnecting');
    emit('connected');
    expect(client.state).toBe('connected');
    expect(disconnects).toBe(0);
    expect(retries).toEqual([]);
    // A renewal that never completes falls back to a reconnect after connectTimeoutMs.
    emit('reconnecting', expired);
    await eventually(() => expect(retries).toHaveLength(1));
    expect(retries[0]!.error).toBe(expired);
    await waitForState(client, 'connected', 2000);
    expect(disconnects).toBe(1);
  });

  it('a connection the server terminated (logout) stays closed', async () => {
    const { hub, make } = setup();
    const client = make('jay');
    await client.connect();
    await sleep(10);
    hub.terminateUser('jay');
    await waitForState(client, 'disconnected');
    await sleep(200);
    expect(client.state).toBe('disconnected');
    expect(hub.connectionCount).toBe(0);
  });
});

describe('reauth_required', () => {
  it('re-authenticates in place once per rotation: same socket, new token, signed in again, channels kept without a re-check, completion reported', async () => {
    const { hub, server, make } = setup();
    const client = make('kim', { reauthSpreadMs: 50 });
    const other = make('lou');
    const inbox = collect(client, 'private-k.1', 'e');
    const presence: string[] = [];
    client.onPresence('presence-k.1', (change) => presence.push(change.type));
    other.onPresence('presence-k.1', (change) => presence.push(`other:${change.type}:${change.member?.id ?? ''}`));
    await Promise.all([client.whenSubscribed('private-k.1'), client.whenSubscribed('presence-k.1'), other.whenSubscribed('presence-k.1')]);
    const socketId = client.socketId;
    const done = record(client, 'reauthenticated');
    const states: string[] = [];
    client.onStateChange((state) => states.push(state));
    const before = server.issued.filter((issue) => issue.user === 'kim').length;

    const notice = { rotationId: 'r-1', deadline: Date.now() + 5000 };
    hub.publish({ channels: [SYSTEM_CHANNEL], event: REAUTH_REQUIRED_EVENT, data: notice, json: JSON.stringify(notice) });
    hub.publish({ channels: [SYSTEM_CHANNEL], event: REAUTH_REQUIRED_EVENT, data: notice, json: JSON.stringify(notice) });
    await eventually(() => expect(done).toEqual([{ rotationId: 'r-1' }]));
    await sleep(100);
    expect(done).toHaveLength(1);
    expect(states).toEqual([]);
    expect(client.socketId).toBe(socketId);
    const kimTokens = server.issued.filter((issue) => issue.user === 'kim');
    expect(kimTokens).toHaveLength(before + 1);
    const newToken = kimTokens.at(-1)!.token;
    // A rotation changes the token key, not the policy: the sign-in with the new token is what
    // the server counts, and no channel is authorised again (client.reauthenticate() re-checks).
    expect(server.tokenCalls.filter((call) => call.token === newToken).map((call) => call.channel)).toEqual([]);
    expect(client.subscriptionStatus('private-k.1')).toBe('subscribed');
    expect(client.subscriptionStatus('presence-k.1')).toBe('subscribed');
    hub.publish({ channels: ['private-k.1'], event: 'e', data: 'after', json: '"after"' });
    expect(await inbox.waitFor(1)).toEqual(['after']);
    expect(presence.filter((entry) => entry.includes('member_removed'))).toEqual([]);
  });

  it('a channel the policy no longer allows is left; a logged-out user ends in auth_failed', async () => {
    const { hub, server, make } = setup();
    const client = make('max', { reauthSpreadMs: 0 });
    client.subscribe('private-m.keep', 'e', () => {});
    client.subscribe('private-m.lose', 'e', () => {});
    await Promise.all([client.whenSubscribed('private-m.keep'), client.whenSubscribed('private-m.lose')]);
    server.forbidden.add('private-m.lose');
    await client.reauthenticate();
    expect(client.subscriptionStatus('private-m.lose')).toBe('failed');
    expect(client.subscriptionStatus('private-m.keep')).toBe('subscribed');
    expect(hub.members('private-m.lose')).toEqual([]);

    const failed = record(client, 'reauth_failed');
    server.loggedOut.add('max');
    await expect(client.reauthenticate()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(failed).toHaveLength(1);
    expect(client.state).toBe('auth_failed');
  });
});

describe('connection channel', () => {
  it("a signed-in connection joins its user's connection channel with its socket id, for the connection's life", async () => {
    const { hub, make, server } = setup();
    const client = make('vic', {
      connectionChannel: true,
      // As the route handlers' connection hooks sign it: member id = socket id.
      authorizeChannel: async (request) =>
        request.channel.startsWith(CONNECTION_CHANNEL_PREFIX)
          ? hub.authorizeChannel(request.socketId, request.channel, { id: request.socketId })
          : server.options('vic').authorizeChannel!(request),
    });
    await client.connect();
    const channel = await connectionChannelName('vic');
    await eventually(() => expect(hub.members(channel)).toEqual([{ id: client.socketId, info: {} }]));
    // It survives a reconnect (with the new socket id) and is not counted as an app subscription.
    hub.setAvailable(false);
    hub.setAvailable(true);
    await waitForState(client, 'connected', 3000);
    await eventually(() => expect(hub.members(channel)).toEqual([{ id: client.socketId, info: {} }]));
  });
});

describe('subscriptions', () => {
  function countingTransport(hubName: string) {
    const calls: string[] = [];
    const createTransport: ClientOptions['createTransport'] = (auth) => {
      const inner = createMemoryTransport({ hub: hubName, authorizeChannel: auth.authorizeChannel, authenticateUser: auth.authenticateUser });
      return Object.assign(Object.create(inner) as ClientTransport, {
        subscribe(channel: string, callbacks: Parameters<ClientTransport['subscribe']>[1]) {
          calls.push(`subscribe:${channel}`);
          inner.subscribe(channel, callbacks);
        },
        unsubscribe(channel: string) {
          calls.push(`unsubscribe:${channel}`);
          inner.unsubscribe(channel);
        },
      });
    };
    return { calls, createTransport };
  }

  it('two handlers share one transport subscription; the channel is left a tick after the last one goes', async () => {
    const { hubName, hub, make } = setup();
    const { calls, createTransport } = countingTransport(hubName);
    const client = make('ned', { createTransport, systemEvents: false });
    const a = collect(client, 'shared.1', 'e');
    const b = collect(client, 'shared.1', 'e');
    await client.whenSubscribed('shared.1');
    a.unsubscribe();
    await sleep(20);
    hub.publish({ channels: ['shared.1'], event: 'e', data: 1, json: '1' });
    expect(await b.waitFor(1)).toEqual([1]);
    expect(a.received).toEqual([]);
    // Unsubscribe and subscribe again in the same tick (React StrictMode): no leave, no join.
    b.unsubscribe();
    const c = collect(client, 'shared.1', 'e');
    await sleep(20);
    expect(calls).toEqual(['subscribe:shared.1']);
    c.unsubscribe();
    await sleep(20);
    expect(calls).toEqual(['subscribe:shared.1', 'unsubscribe:shared.1']);
    expect(client.subscriptionStatus('shared.1')).toBeUndefined();
  });

  it('the same function subscribed twice is two subscriptions', async () => {
    const { hub, make } = setup();
    const client = make('oli');
    const seen: unknown[] = [];
    const handler = (data: unknown) => seen.push(data);
    const first = client.subscribe('twice.1', 'e', handler);
    client.subscribe('twice.1', 'e', handler);
    await client.whenSubscribed('twice.1');
    first();
    hub.publish({ channels: ['twice.1'], event: 'e', data: 'x', json: '"x"' });
    await eventually(() => expect(seen).toEqual(['x']));
  });

  it('presence: members on subscription, joins and leaves', async () => {
    const { make } = setup();
    const pam = make('pam');
    const changes: string[] = [];
    pam.onPresence('presence-p.1', (change) => changes.push(`${change.type}:${change.member?.id ?? ''}:${change.members.map((m) => m.id).sort().join(',')}`));
    await pam.whenSubscribed('presence-p.1');
    const quin = make('quin');
    const leave = quin.onPresence('presence-p.1', () => {});
    await quin.whenSubscribed('presence-p.1');
    await eventually(() => expect(changes).toContain('member_added:quin:pam,quin'));
    leave();
    await eventually(() => expect(changes).toContain('member_removed:quin:pam'));
    expect(changes[0]).toBe('subscribed::pam');
  });

  it('whispers reach the others; socket id headers name this connection', async () => {
    const { make } = setup();
    const rae = make('rae');
    const sam = make('sam');
    const inbox = collect(sam, 'private-w.1', 'client-typing');
    rae.subscribeAll('private-w.1', () => {});
    await Promise.all([rae.whenSubscribed('private-w.1'), sam.whenSubscribed('private-w.1')]);
    rae.whisper('private-w.1', 'typing', { on: true });
    expect(await inbox.waitFor(1)).toEqual([{ on: true }]);
    expect(rae.socketIdHeaders()).toEqual({ 'X-Socket-ID': rae.socketId });
    const init = rae.withSocketId({ method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(new Headers(init.headers).get('x-socket-id')).toBe(rae.socketId);
    expect(new Headers(init.headers).get('content-type')).toBe('application/json');
    rae.disconnect();
    expect(rae.socketIdHeaders()).toEqual({});
    expect(() => rae.whisper('public.1', 'x', 1)).toThrow(/private and presence/);
  });

  it('disconnect() keeps subscriptions; a later subscribe or connect brings them back', async () => {
    const { hub, make } = setup();
    const client = make('tom');
    const inbox = collect(client, 'keep.1', 'e');
    await client.whenSubscribed('keep.1');
    client.disconnect();
    expect(client.state).toBe('disconnected');
    expect(client.subscriptionStatus('keep.1')).toBe('pending');
    const more = collect(client, 'keep.2', 'e');
    await Promise.all([client.whenSubscribed('keep.1'), client.whenSubscribed('keep.2')]);
    hub.publish({ channels: ['keep.1', 'keep.2'], event: 'e', data: 2, json: '2' });
    expect(await inbox.waitFor(1)).toEqual([2]);
    expect(await more.waitFor(1)).toEqual([2]);
  });
});
