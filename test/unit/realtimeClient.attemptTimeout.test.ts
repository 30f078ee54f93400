import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attemptTimeout, DEFAULT_RECONNECT } from '../../src/client/backoff.js';
import {
  createRealtimeClient,
  type ClientOptions,
  type ClientTransport,
  type RealtimeClient,
  type RealtimeClientEvents,
} from '../../src/client/index.js';
import type { ConnectionState, TransportAuth, TransportChannelCallbacks } from '../../src/core/provider.js';

/**
 * A server (or a machine) slower than `connectTimeoutMs`: what a user expects after a restart is
 * that every client still comes back, each attempt with a fresh token, instead of abandoning
 * every attempt at the same bound and starting over forever. Fake timers: the behaviour, not the
 * timing, is under test.
 */

beforeEach(() => {
  vi.useFakeTimers();
});
const clients: RealtimeClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
  vi.useRealTimers();
});

/** A transport whose handshake takes `handshakeMs()` (undefined: never answers), then authorises its channels. */
function slowTransport(auth: TransportAuth, handshakeMs: () => number | undefined) {
  const listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  const channels = new Map<string, TransportChannelCallbacks>();
  const log = { connects: 0, disconnects: 0 };
  let socketId: string | undefined;
  let handshake: ReturnType<typeof setTimeout> | undefined;
  // Like pusher-js: every channel is authorised with the live socket id, on connect and on subscribe.
  const authorize = (channel: string, callbacks: TransportChannelCallbacks) => {
    const id = socketId!;
    auth.authorizeChannel({ socketId: id, channel }).then(() => callbacks.onSubscribed(), (error: Error) => callbacks.onError(error));
  };
  const transport: ClientTransport = {
    get socketId() {
      return socketId;
    },
    connect() {
      const id = `1.${++log.connects}`;
      const ms = handshakeMs();
      if (ms === undefined) return;
      handshake = setTimeout(() => {
        socketId = id;
        for (const listener of [...listeners]) listener('connected');
        for (const [channel, callbacks] of channels) authorize(channel, callbacks);
      }, ms);
    },
    disconnect() {
      log.disconnects += 1;
      clearTimeout(handshake);
      socketId = undefined;
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(channel, callbacks) {
      channels.set(channel, callbacks);
      if (socketId) authorize(channel, callbacks);
    },
    unsubscribe: (channel) => void channels.delete(channel),
    trigger() {},
    members: () => [],
  };
  const lose = () => {
    socketId = undefined;
    for (const listener of [...listeners]) listener('reconnecting', new Error('the server restarted'));
  };
  return { transport, log, lose };
}

/** A client over `slowTransport`, a counting token source and a channel authorizer that records which token came with it. */
function setup({ handshakeMs, tokenAnswer = () => Promise.resolve(), reconnect }: {
  handshakeMs: () => number | undefined;
  /** When the nth token request answers (default: at once). */
  tokenAnswer?: (request: number) => Promise<void>;
  reconnect: ClientOptions['reconnect'];
}) {
  let tokenRequests = 0;
  const authorizedWith: Array<string | undefined> = [];
  let slow: ReturnType<typeof slowTransport> | undefined;
  const client = createRealtimeClient({
    provider: 'memory',
    systemEvents: false,
    // Delays of 0: the retries are deterministic; only the attempt timeouts are under test.
    reconnect: { baseMs: 0, ...reconnect },
    getCredentials: async () => {
      const request = ++tokenRequests;
      await tokenAnswer(request);
      return { token: `token-${request}`, expiresAt: Date.now() + 600_000 };
    },
    authorizeChannel: async ({ token }) => {
      authorizedWith.push(token);
      return { auth: 'key:signature' };
    },
    createTransport: (auth) => (slow = slowTransport(auth, handshakeMs)).transport,
  } as ClientOptions);
  clients.push(client);
  const retries: Array<RealtimeClientEvents['reconnect_scheduled']> = [];
  client.on('reconnect_scheduled', (retry) => retries.push(retry));
  return {
    client,
    retries,
    authorizedWith,
    tokenRequests: () => tokenRequests,
    transport: () => slow!,
  };
}

describe('attempt timeouts grow per retry', () => {
  it('doubles connectTimeoutMs per retry up to connectTimeoutCapMs (10 s, 20 s, 40 s, 60 s by default)', () => {
    expect([0, 1, 2, 3, 4, 30].map((attempt) => attemptTimeout(attempt, DEFAULT_RECONNECT))).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it('a handshake slower than connectTimeoutMs still connects: each retry waits longer, each with a fresh token', async () => {
    const { client, retries, authorizedWith, tokenRequests, transport } = setup({ handshakeMs: () => 250, reconnect: { connectTimeoutMs: 100, connectTimeoutCapMs: 1000 } });
    client.subscribe('private-room.1', 'e', () => {});
    await vi.advanceTimersByTimeAsync(2000);
    expect(client.state).toBe('connected');
    expect(client.subscriptionStatus('private-room.1')).toBe('subscribed');
    // Abandoned after 100 ms and 200 ms; the third attempt (400 ms) had the 250 ms it needed.
    expect(retries.map((retry) => retry.error?.message)).toEqual(['not connected within 100 ms', 'not connected within 200 ms']);
    expect(transport().log.connects).toBe(3);
    expect(tokenRequests()).toBe(3);
    expect(authorizedWith).toEqual(['token-3']);
  });

  it('the growth stops at connectTimeoutCapMs: an attempt that never answers is still given up on and retried', async () => {
    const { client, retries, transport } = setup({ handshakeMs: () => undefined, reconnect: { connectTimeoutMs: 100, connectTimeoutCapMs: 300 } });
    client.subscribe('private-room.1', 'e', () => {});
    await vi.advanceTimersByTimeAsync(100 + 200 + 300 * 3 + 10);
    expect(client.state).toBe('reconnecting');
    expect(retries.map((retry) => retry.error?.message)).toEqual([100, 200, 300, 300, 300].map((ms) => `not connected within ${ms} ms`));
    // Five given up on, the sixth under way.
    expect(transport().log.connects).toBe(6);
  });

  it('after a successful connection the count starts again: the first retry after a loss waits 2 x connectTimeoutMs', async () => {
    const { client, retries, transport } = setup({ handshakeMs: () => 250, reconnect: { connectTimeoutMs: 100, connectTimeoutCapMs: 1000 } });
    client.subscribe('private-room.1', 'e', () => {});
    await vi.advanceTimersByTimeAsync(2000);
    expect(client.state).toBe('connected');
    retries.length = 0;
    transport().lose();
    await vi.advanceTimersByTimeAsync(2000);
    expect(client.state).toBe('connected');
    // Not 800 ms (the count before the connection): 200 ms, then 400 ms.
    expect(retries.map((retry) => retry.error?.message)).toEqual(['the server restarted', 'not connected within 200 ms']);
  });
});

describe('the token request is part of the attempt', () => {
  it('a token request that never answers fails the attempt after connectTimeoutMs; the retry asks for a new token and connects', async () => {
    const { client, retries, authorizedWith, tokenRequests } = setup({
      handshakeMs: () => 10,
      tokenAnswer: (request) => (request === 1 ? new Promise<void>(() => {}) : Promise.resolve()),
      reconnect: { connectTimeoutMs: 100 },
    });
    client.subscribe('private-room.1', 'e', () => {});
    await vi.advanceTimersByTimeAsync(1000);
    expect(client.state).toBe('connected');
    expect(retries.map((retry) => retry.error?.message)).toEqual(['not connected within 100 ms']);
    expect(tokenRequests()).toBe(2);
    expect(authorizedWith).toEqual(['token-2']);
  });

  it('a late answer to an abandoned token request is not used', async () => {
    const { client, authorizedWith, tokenRequests } = setup({
      handshakeMs: () => 10,
      // The first answers after 500 ms, long after its attempt gave up and the second connected.
      tokenAnswer: (request) => (request === 1 ? new Promise<void>((resolve) => setTimeout(resolve, 500)) : Promise.resolve()),
      reconnect: { connectTimeoutMs: 100 },
    });
    client.subscribe('private-room.1', 'e', () => {});
    await vi.advanceTimersByTimeAsync(1000);
    expect(client.state).toBe('connected');
    expect(tokenRequests()).toBe(2);
    // A channel subscribed after the late answer still goes with the token of the live connection.
    client.subscribe('private-room.2', 'e', () => {});
    await vi.advanceTimersByTimeAsync(100);
    expect(authorizedWith).toEqual(['token-2', 'token-2']);
  });
});
