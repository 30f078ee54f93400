import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRealtimeClient, resolveClientOptions, type RealtimeClient } from '../../src/client/index.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createRealtime } from '../../src/server/index.js';
import { collect } from '../support/events.js';

/**
 * What a new user's client does with default options: the configuration comes from
 * NEXT_PUBLIC_* unless the options name it, a misconfiguration is reported (state `failed`,
 * `invalid_config`, one console message) instead of thrown or retried, and a visitor without a
 * session still receives public channels.
 */
const clients: RealtimeClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

function stubSoketiEnv(values: Record<string, string | undefined> = {}) {
  const env: Record<string, string | undefined> = {
    NEXT_PUBLIC_REALTIME_PROVIDER: 'soketi',
    NEXT_PUBLIC_SOKETI_APP_KEY: 'env-key',
    NEXT_PUBLIC_SOKETI_HOST: 'realtime.example.test',
    NEXT_PUBLIC_SOKETI_PORT: '6443',
    NEXT_PUBLIC_SOKETI_USE_TLS: 'true',
    ...values,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value as string);
}

describe('options over NEXT_PUBLIC_*', () => {
  it('an options object sets what it names and keeps the rest from the environment', () => {
    stubSoketiEnv();
    const ownFetch = (async () => new Response('{}')) as typeof fetch;
    expect(resolveClientOptions({ fetch: ownFetch })).toEqual({
      options: { provider: 'soketi', key: 'env-key', host: 'realtime.example.test', port: 6443, useTLS: true, fetch: ownFetch },
    });
    expect(resolveClientOptions({ port: 7000, signIn: false, key: undefined })).toEqual({
      options: { provider: 'soketi', key: 'env-key', host: 'realtime.example.test', port: 7000, useTLS: true, signIn: false },
    });
    // Another provider named in the options ignores the variables of this one.
    expect(resolveClientOptions({ provider: 'memory', hub: 'h' })).toEqual({ options: { provider: 'memory', hub: 'h' } });
  });

  it('createRealtimeClient({ fetch }) is a client of the configured provider, not a TypeError retried forever', async () => {
    stubSoketiEnv({ NEXT_PUBLIC_SOKETI_HOST: '127.0.0.1', NEXT_PUBLIC_SOKETI_PORT: '1', NEXT_PUBLIC_SOKETI_USE_TLS: 'false' });
    const client = createRealtimeClient({ fetch: (async () => new Response('{}', { status: 503 })) as typeof fetch, reconnect: { baseMs: 10, capMs: 20, maxAttempts: 1 } });
    clients.push(client);
    expect(client.provider).toBe('soketi');
    const failure = await client.connect().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'provider_unavailable' });
    expect(String((failure as Error).message)).not.toMatch(/Cannot read properties|TypeError/);
  });
});

describe('a misconfigured client', () => {
  it.each([
    ['no provider at all', {}, /NEXT_PUBLIC_REALTIME_PROVIDER: is not set/],
    ['NEXT_PUBLIC_SOKETI_APP_KEY missing', { NEXT_PUBLIC_REALTIME_PROVIDER: 'soketi' }, /NEXT_PUBLIC_SOKETI_APP_KEY \(or the `key` option\): is not set/],
    ['an unknown provider', { NEXT_PUBLIC_REALTIME_PROVIDER: 'socketio' }, /"socketio" is not one of soketi, pusher, ably, memory/],
  ])('%s: state failed with invalid_config, one console message, nothing thrown or retried', async (_name, env, message) => {
    vi.stubEnv('NEXT_PUBLIC_REALTIME_PROVIDER', '');
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const states: string[] = [];
    const first = createRealtimeClient();
    const second = createRealtimeClient({ fetch: globalThis.fetch });
    clients.push(first, second);
    first.onStateChange((state) => states.push(state));
    for (const client of [first, second]) {
      expect(client.state).toBe('failed');
      expect(client.error).toMatchObject({ code: 'invalid_config', message });
    }
    // Subscribing and asking for a connection report the error; nothing throws, nothing connects.
    const unsubscribe = first.subscribe('news', 'headline', () => {});
    await expect(first.whenSubscribed('news')).rejects.toMatchObject({ code: 'invalid_config' });
    await expect(first.connect()).rejects.toMatchObject({ code: 'invalid_config' });
    unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first.state).toBe('failed');
    expect(states).toEqual([]);
    expect(printed).toHaveBeenCalledTimes(1);
    expect(String(printed.mock.calls[0]![0])).toMatch(message);
  });

  it('bad reconnect options are invalid_config too, not a TypeError thrown at the caller', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const client = createRealtimeClient({ provider: 'memory', reconnect: { baseMs: -5 } });
    expect(client.state).toBe('failed');
    expect(client.error).toMatchObject({ code: 'invalid_config', message: /reconnect.baseMs/ });
  });
});

describe('an anonymous visitor with default options (memory provider, the route handlers as fetch)', () => {
  it('receives public channels; a private channel fails for that channel only; the client stays connected', async () => {
    const hub = `defaults-${process.pid}`;
    const realtime = createRealtime({ provider: 'memory', hub });
    const app = createRealtimeHandlers<{ id: string }>({
      realtime,
      channels: defineChannels({ 'private-notes.{id}': (user: { id: string }, { id }) => user.id === id }),
      getUser: () => null,
      tokenSecrets: 'k1:defaults-test-secret-0123456789',
      log: () => undefined,
    });
    const requests: string[] = [];
    const routeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(new URL(String(input), 'http://app.test'), init);
      const response = await (request.method === 'GET' ? app.GET(request) : app.POST(request));
      requests.push(`${new URL(request.url).pathname} ${response.status}`);
      return response;
    }) as typeof fetch;
    const visitor = createRealtimeClient({ provider: 'memory', hub, fetch: routeFetch });
    clients.push(visitor);
    const authFailures: unknown[] = [];
    visitor.on('auth_failed', (error) => authFailures.push(error));
    const news = collect(visitor, 'news', 'headline');
    visitor.subscribe('private-notes.ann', 'note', () => {});
    await visitor.whenSubscribed('news');
    await expect(visitor.whenSubscribed('private-notes.ann')).rejects.toMatchObject({ status: 401 });
    await realtime.publish('news', 'headline', 'hello');
    expect(await news.waitFor(1)).toEqual(['hello']);
    expect(visitor.state).toBe('connected');
    expect(authFailures).toEqual([]);
    // One token request per connect (answered 401), a sign-in attempt, the refused channel.
    expect(requests).toEqual(['/api/realtime/token 401', '/api/realtime/user-auth 401', '/api/realtime/auth 401']);
    await realtime.close();
  });
});
