import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { createRealtimeClient, type RealtimeClient, type RealtimeClientEvents } from '../../src/client/index.js';
import type { ReconnectOptions } from '../../src/client/backoff.js';
import { connectionChannelName, REAUTH_REQUIRED_EVENT, SYSTEM_CHANNEL } from '../../src/core/systemEvents.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { createTestAuth, type TestAuth } from '../support/testAuth.js';
import { collect, eventually, waitForState } from '../support/events.js';
import { startTcpProxy } from '../support/tcpProxy.js';

/**
 * The client against a real Soketi that restarts (stopped, then a new process on the same port
 * once the old one has exited: uWS listens with SO_REUSEPORT, so a dying process would otherwise
 * answer part of the connections), with the credentials coming from the route handlers (test/support/testAuth.ts).
 */
let soketi: SoketiProcess;
let realtime: Realtime;
let auth: TestAuth;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  soketi = await startSoketi({ quiet: true });
  realtime = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port });
  auth = createTestAuth(realtime);
});

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
  auth.loggedOut.clear();
  auth.revoked.clear();
  auth.unavailable = false;
  auth.failingAuthRequests = 0;
});

afterAll(async () => {
  await realtime?.close();
  await soketi?.stop();
});

function makeClient(user: string, reconnect: ReconnectOptions, extra: { signIn?: boolean } = {}): RealtimeClient {
  const client = createRealtimeClient({
    provider: 'soketi',
    key: soketi.key,
    host: soketi.host,
    port: soketi.port,
    signIn: extra.signIn ?? true,
    ...auth.clientOptions(user),
    reconnect,
  });
  clients.push(client);
  return client;
}

/** Stops Soketi, waits for its process to exit, and starts a new one on the same port. */
async function restartSoketi(downtimeMs = 0): Promise<{ stoppedAt: number; readyAt: number }> {
  const port = soketi.port;
  const stoppedAt = Date.now();
  await soketi.stop();
  if (downtimeMs > 0) await new Promise((resolve) => setTimeout(resolve, downtimeMs));
  soketi = await startSoketi({ port, quiet: true });
  return { stoppedAt, readyAt: Date.now() };
}

function record<K extends keyof RealtimeClientEvents>(client: RealtimeClient, event: K): Array<RealtimeClientEvents[K] & { at: number }> {
  const seen: Array<RealtimeClientEvents[K] & { at: number }> = [];
  client.on(event, (payload) => seen.push(Object.assign(Object.create(null), payload, { at: Date.now() })));
  return seen;
}

function subscribedAgain(client: RealtimeClient, channels: string[], after: number, timeoutMs: number): Promise<void> {
  const waiting = new Set(channels);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not re-subscribed to ${[...waiting].join(', ')} within ${timeoutMs} ms (state ${client.state})`)), timeoutMs);
    const off = client.on('subscribed', ({ channel }) => {
      if (Date.now() < after) return;
      waiting.delete(channel);
      if (waiting.size === 0) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

describe('reconnect after a Soketi restart', () => {
  it('comes back with a fresh token: signs in and re-authorises private and presence channels with it; events flow again', async () => {
    const client = makeClient('alice', { baseMs: 200, capMs: 1000 });
    const privateChannel = 'private-orders.restart';
    const presenceChannel = 'presence-room.restart';
    const inbox = collect(client, privateChannel, 'update');
    client.onPresence(presenceChannel, () => {});
    await Promise.all([client.whenSubscribed(privateChannel), client.whenSubscribed(presenceChannel)]);
    const firstSocket = client.socketId;
    const firstTokens = auth.tokensFor('alice').map((issue) => issue.jti);
    expect(firstTokens).toHaveLength(1);
    const scheduled = record(client, 'reconnect_scheduled');

    const back = subscribedAgain(client, [privateChannel, presenceChannel], 0, 20_000);
    const { stoppedAt } = await restartSoketi();
    await back;

    expect(client.state).toBe('connected');
    expect(client.socketId).not.toBe(firstSocket);
    expect(scheduled.length).toBeGreaterThanOrEqual(1);
    // Soketi closes every socket with 4200 when it stops; pusher-js alone would reconnect at once.
    expect(scheduled[0]!.error).toMatchObject({ code: 'provider_unavailable', details: { closeCode: 4200 } });
    expect(scheduled[0]!.delayMs).toBeLessThan(200);
    // A new token per connect, and only new tokens on the new connection's auth requests.
    const laterTokens = auth.tokensFor('alice').filter((issue) => issue.at >= stoppedAt);
    expect(laterTokens.length).toBeGreaterThanOrEqual(1);
    const onNewSocket = auth.calls.filter((call) => call.socketId === client.socketId);
    // Private, presence, the user's connection channel, and the sign-in.
    expect(onNewSocket.map((call) => call.kind).sort()).toEqual(['auth', 'auth', 'auth', 'user-auth']);
    for (const call of onNewSocket) {
      expect(firstTokens).not.toContain(call.jti);
      expect(laterTokens.map((issue) => issue.jti)).toContain(call.jti);
    }
    await realtime.publish(privateChannel, 'update', { after: 'restart' });
    expect(await inbox.waitFor(1)).toEqual([{ after: 'restart' }]);
  });

  it('200 clients: all come back subscribed, each with a token fetched after the restart, spread over the backoff window', async () => {
    const count = 200;
    const reconnect = { baseMs: 2000, capMs: 4000 };
    const channel = 'private-fleet.1';
    const fleet = Array.from({ length: count }, (_, i) => {
      const client = makeClient(`fleet-${i}`, reconnect, { signIn: false });
      const inbox = collect(client, channel, 'ping');
      return { client, inbox, user: `fleet-${i}`, scheduled: record(client, 'reconnect_scheduled'), connectedAt: [] as number[] };
    });
    for (const member of fleet) member.client.onStateChange((state) => state === 'connected' && member.connectedAt.push(Date.now()));
    await Promise.all(fleet.map(({ client }) => client.whenSubscribed(channel)));
    const before = new Map(fleet.map(({ user }) => [user, auth.tokensFor(user).map((issue) => issue.jti)]));

    const back = Promise.all(fleet.map(({ client }) => subscribedAgain(client, [channel], 0, 40_000)));
    const { stoppedAt, readyAt } = await restartSoketi();
    await back;

    // Every client is subscribed again and receives.
    await realtime.publish(channel, 'ping', 'after-restart');
    await Promise.all(fleet.map(({ inbox }) => inbox.waitFor(1, 10_000)));

    for (const { user, client } of fleet) {
      const fresh = auth.tokensFor(user).filter((issue) => issue.at >= stoppedAt);
      expect(fresh.length, `${user} fetched a token after the restart`).toBeGreaterThanOrEqual(1);
      const calls = auth.calls.filter((call) => call.socketId === client.socketId);
      expect(calls).toHaveLength(1);
      expect(before.get(user)).not.toContain(calls[0]!.jti);
    }

    // When the clients first tried again: the first retry is random(0, base) after the drop.
    const firstRetry = fleet.map(({ scheduled }) => scheduled.find((entry) => entry.at >= stoppedAt)!.delayMs);
    const reconnectedAt = fleet.map(({ connectedAt }) => connectedAt[connectedAt.length - 1]! - readyAt);
    const spread = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      return { min: sorted[0]!, p10: at(0.1), p50: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1]! };
    };
    const busiest100ms = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      let best = 0;
      for (let i = 0, j = 0; i < sorted.length; i++) {
        while (sorted[i]! - sorted[j]! > 100) j++;
        best = Math.max(best, i - j + 1);
      }
      return best;
    };
    const retrySpread = spread(firstRetry);
    const reconnectSpread = spread(reconnectedAt);
    console.log(
      `[200 clients, base ${reconnect.baseMs} ms, cap ${reconnect.capMs} ms] downtime ${readyAt - stoppedAt} ms; ` +
        `first retry delay ${JSON.stringify(retrySpread)}; busiest 100 ms: ${busiest100ms(firstRetry)} clients; ` +
        `reconnected after the new server was ready (ms) ${JSON.stringify(reconnectSpread)}; busiest 100 ms: ${busiest100ms(reconnectedAt)} clients`,
    );
    // Uniform over [0, base): the middle 80% spans ~0.8 * base; pusher-js alone spans ~0.
    expect(retrySpread.p90 - retrySpread.p10).toBeGreaterThan(0.5 * reconnect.baseMs);
    expect(busiest100ms(firstRetry)).toBeLessThan(count * 0.2);
    // The reconnects themselves are spread over seconds, not one burst.
    expect(reconnectSpread.p90 - reconnectSpread.p10).toBeGreaterThan(1000);
    // (Attempts that reach the new server while it is still booting complete together when it is ready.)
    expect(busiest100ms(reconnectedAt)).toBeLessThan(count * 0.3);
  }, 60_000);

  it('a 401 from the token endpoint on reconnect stops retrying (auth_failed); a 503 is retried with backoff', async () => {
    const reconnect = { baseMs: 200, capMs: 800 };
    const mallory = makeClient('mallory', reconnect);
    const bob = makeClient('bob', reconnect);
    mallory.subscribe('private-m.1', 'e', () => {});
    bob.subscribe('private-b.1', 'e', () => {});
    await Promise.all([mallory.whenSubscribed('private-m.1'), bob.whenSubscribed('private-b.1')]);
    const authFailures = record(mallory, 'auth_failed');
    const bobRetries = record(bob, 'reconnect_scheduled');

    // Mallory logs out elsewhere; the token endpoint is down for a moment when Soketi restarts.
    auth.loggedOut.add('mallory');
    auth.unavailable = true;
    const { stoppedAt } = await restartSoketi();
    await eventually(() => expect(bobRetries.filter((retry) => retry.error?.message.includes('503')).length).toBeGreaterThanOrEqual(2), 15_000);
    auth.unavailable = false;

    await waitForState(mallory, 'auth_failed', 15_000);
    expect(authFailures).toHaveLength(1);
    expect(authFailures[0]).toMatchObject({ code: 'unauthorized', status: 401 });
    await waitForState(bob, 'connected', 15_000);
    await bob.whenSubscribed('private-b.1');

    // Stopped means stopped: no more token requests, no connection.
    const requests = auth.issued.length;
    const malloryAttempts = auth.calls.filter((call) => call.user === 'mallory' && call.at >= stoppedAt).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(mallory.state).toBe('auth_failed');
    expect(mallory.socketId).toBeUndefined();
    expect(auth.calls.filter((call) => call.user === 'mallory' && call.at >= stoppedAt)).toHaveLength(malloryAttempts);
    expect(auth.issued.length).toBe(requests);
    // Windows double from attempt to attempt (full jitter stays below each window).
    expect(bobRetries.every((retry) => retry.delayMs <= Math.min(800, 200 * 2 ** (retry.attempt - 1)))).toBe(true);
  }, 40_000);
});

describe('a server that is not there', () => {
  it('a refused connection fails the attempt at once (not after connectTimeoutMs) and is retried with backoff', async () => {
    const { freePort } = await import('../../scripts/soketiProcess.mjs');
    const port = (await freePort()) as number;
    const client = createRealtimeClient({ provider: 'soketi', key: soketi.key, host: '127.0.0.1', port, tokenEndpoint: false, reconnect: { baseMs: 100, capMs: 200, connectTimeoutMs: 10_000 } });
    clients.push(client);
    const retries = record(client, 'reconnect_scheduled');
    const started = Date.now();
    client.connect().catch(() => {});
    await eventually(() => expect(retries.length).toBeGreaterThanOrEqual(4), 5000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(retries[0]!.error?.message).toMatch(/could not connect/);
    expect(client.state).toBe('reconnecting');
  });
});

/** Behind a TCP proxy that holds every new connection (test/support/tcpProxy.ts): a slow server or network. */
describe('a server slower than the attempt timeout', () => {
  function clientBehind(proxyPort: number, reconnect: ReconnectOptions): RealtimeClient {
    const client = createRealtimeClient({ provider: 'soketi', key: soketi.key, host: '127.0.0.1', port: proxyPort, signIn: true, ...auth.clientOptions('slow'), reconnect });
    clients.push(client);
    return client;
  }

  it('every handshake takes longer than connectTimeoutMs: the retry is given twice as long and connects, with a fresh token', async () => {
    const proxy = await startTcpProxy(soketi, { delayMs: 1500 });
    try {
      const client = clientBehind(proxy.port, { baseMs: 50, capMs: 100, connectTimeoutMs: 1000 });
      const retries = record(client, 'reconnect_scheduled');
      const tokensBefore = auth.issued.length;
      client.subscribe('private-slow.1', 'e', () => {});
      await client.whenSubscribed('private-slow.1');
      expect(client.state).toBe('connected');
      // Given up after 1 s, then given 2 s (4 s if this machine is slower still): never the same bound again.
      expect(retries.map((retry) => retry.error?.message)).toEqual(['not connected within 1000 ms', 'not connected within 2000 ms'].slice(0, retries.length));
      expect(retries.length).toBeGreaterThanOrEqual(1);
      // A fresh token for every attempt.
      expect(auth.issued.length - tokensBefore).toBe(retries.length + 1);
    } finally {
      proxy.cut();
    }
  }, 20_000);

  it("pusher-js's own 10 s \"unavailable\" does not end an attempt the client still gives time to", async () => {
    const proxy = await startTcpProxy(soketi, { delayMs: 11_000 });
    try {
      const client = clientBehind(proxy.port, { baseMs: 50, capMs: 100, connectTimeoutMs: 14_000 });
      const retries = record(client, 'reconnect_scheduled');
      client.subscribe('private-slow.2', 'e', () => {});
      await client.whenSubscribed('private-slow.2');
      expect(retries).toEqual([]);
    } finally {
      proxy.cut();
    }
  }, 30_000);
});

describe('channel authorization failures', () => {
  it('a 503 from the auth endpoint is retried for that channel (pusher-js alone gives up on it)', async () => {
    const client = makeClient('retrier', { baseMs: 100, capMs: 200 }, { signIn: false });
    auth.failingAuthRequests = 1;
    const inbox = collect(client, 'private-retry.1', 'e');
    await expect(client.whenSubscribed('private-retry.1')).rejects.toMatchObject({ status: 503 });
    await eventually(() => expect(client.subscriptionStatus('private-retry.1')).toBe('subscribed'));
    await realtime.publish('private-retry.1', 'e', 'ok');
    expect(await inbox.waitFor(1)).toEqual(['ok']);
  });
});

describe('refusals that no reconnect can fix', () => {
  it('an unknown app key (close code 4001) fails without retrying', async () => {
    const client = createRealtimeClient({ provider: 'soketi', key: 'no-such-key', host: soketi.host, port: soketi.port, tokenEndpoint: false, reconnect: { baseMs: 10 } });
    clients.push(client);
    const retries = record(client, 'reconnect_scheduled');
    await expect(client.connect()).rejects.toMatchObject({ code: 'closed', details: { closeCode: 4001 } });
    expect(client.state).toBe('failed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(retries).toEqual([]);
    expect(client.state).toBe('failed');
  });
});

describe('reauth_required on the system channel', () => {
  it('re-authenticates in place with a new token: same socket, subscriptions and presence kept, completion reported', async () => {
    const alice = makeClient('alice-r', { baseMs: 200 });
    const bob = makeClient('bob-r', { baseMs: 200 });
    const privateChannel = 'private-reauth.1';
    const presenceChannel = 'presence-reauth.1';
    const inbox = collect(alice, privateChannel, 'e');
    const presenceChanges: string[] = [];
    alice.onPresence(presenceChannel, (change) => presenceChanges.push(`${change.type}:${change.member?.id ?? ''}`));
    bob.onPresence(presenceChannel, () => {});
    await Promise.all([alice.whenSubscribed(privateChannel), alice.whenSubscribed(presenceChannel), bob.whenSubscribed(presenceChannel)]);
    await eventually(() => expect(alice.members(presenceChannel).map((m) => m.id).sort()).toEqual(['alice-r', 'bob-r']));
    const socketId = alice.socketId!;
    const [oldToken] = auth.tokensFor('alice-r');
    const done = new Promise<RealtimeClientEvents['reauthenticated']>((resolve) => alice.on('reauthenticated', resolve));
    const disconnects: string[] = [];
    alice.onStateChange((state) => disconnects.push(state));

    // What the rotation side broadcasts (bypassing publish validation: `realtime:` is reserved).
    auth.revoked.add(oldToken!.jti);
    const provider = await realtime.getProvider();
    const notice = { rotationId: 'rot-1', deadline: Date.now() + 10_000 };
    await provider.publish({ channels: [SYSTEM_CHANNEL], event: REAUTH_REQUIRED_EVENT, data: notice, json: JSON.stringify(notice) });

    expect(await done).toEqual({ rotationId: 'rot-1' });
    expect(alice.socketId).toBe(socketId);
    expect(alice.state).toBe('connected');
    expect(disconnects).toEqual([]);
    const newTokens = auth.tokensFor('alice-r').filter((issue) => issue.jti !== oldToken!.jti);
    expect(newTokens).toHaveLength(1);
    // The token request names the live connection and the channels it holds.
    expect(newTokens[0]!.socketId).toBe(socketId);
    expect(newTokens[0]!.channels.sort()).toEqual([presenceChannel, privateChannel, SYSTEM_CHANNEL, await connectionChannelName('alice-r')].sort());
    expect(oldToken!.socketId).toBeNull();
    // Signed in again by that one request (the token answer carries this socket's sign-in), and
    // nothing else: a rotation changes the token key, not the policy, so the channels (signed
    // with the app secret) are not authorised again.
    expect(auth.requests.filter((request) => request.token === newTokens[0]!.token).map((request) => request.signedIn)).toEqual([true]);
    expect(auth.calls.filter((call) => call.socketId === socketId && call.jti === newTokens[0]!.jti)).toEqual([]);
    await realtime.publish(privateChannel, 'e', 'still here');
    expect(await inbox.waitFor(1)).toEqual(['still here']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(presenceChanges.filter((change) => change.startsWith('member_removed'))).toEqual([]);
    expect(bob.members(presenceChannel).map((m) => m.id).sort()).toEqual(['alice-r', 'bob-r']);
    // The second sign-in left the connection signed in as alice: logout still finds it.
    await realtime.terminateUser('alice-r');
    await waitForState(alice, 'disconnected');
    expect(alice.error).toMatchObject({ code: 'closed', details: { closeCode: 4009 } });
    expect(bob.state).toBe('connected');
  });
});
