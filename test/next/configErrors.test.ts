import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineChannels, isRealtimeError } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createRealtime, withEvents } from '../../src/server/index.js';
import { defineEvents } from '../../src/core/eventDefinitions.js';

/**
 * Issue 11 item 5: `createRealtime()` and `createRealtimeHandlers()` sit at module top level, so
 * they run during `next build` ("Collecting page data"), usually without provider secrets. They
 * must not throw there; at run time every endpoint answers the misconfiguration as JSON naming the
 * variables (never their values) and publish() rejects with the same RealtimeError.
 */
const KEY_VALUE = 'visible-app-key-4711';

function soketiEnvWithout(...missing: string[]) {
  const env: Record<string, string> = {
    REALTIME_PROVIDER: 'soketi',
    SOKETI_APP_ID: 'app-id-0815',
    SOKETI_APP_KEY: KEY_VALUE,
    SOKETI_APP_SECRET: 'secret-value-never-shown',
    REALTIME_TOKEN_SECRETS: 'kid:token-secret-value',
  };
  for (const name of [...missing, 'SOKETI_HOST', 'SOKETI_PORT', 'SOKETI_USE_TLS']) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(env)) if (!missing.includes(name)) vi.stubEnv(name, value);
}

/** What an app's route file and lib file do at module top level. */
function createAppAtTopLevel() {
  const realtime = createRealtime();
  const typed = withEvents(realtime, defineEvents({}));
  const handlers = createRealtimeHandlers<{ id: string }>({
    realtime,
    channels: defineChannels<{ id: string }, string>({ 'private-orders.{id}': () => true }),
    getUser: () => ({ id: 'u1' }),
    webhook: { onEvents() {} },
    log: () => undefined,
  });
  return { realtime, typed, handlers };
}

const requests: Record<string, () => Request> = {
  auth: () =>
    new Request('http://app.test/api/realtime/auth', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'socket_id=1.2&channel_name=private-orders.1',
    }),
  'user-auth': () => new Request('http://app.test/api/realtime/user-auth', { method: 'POST' }),
  token: () => new Request('http://app.test/api/realtime/token'),
  webhook: () => new Request('http://app.test/api/realtime/webhook', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('configuration errors at the right time and place', () => {
  it('without SOKETI_APP_SECRET: nothing throws at module top level; every endpoint answers invalid_config JSON naming it, not its neighbours\' values', async () => {
    soketiEnvWithout('SOKETI_APP_SECRET');
    const { handlers } = createAppAtTopLevel();
    for (const [endpoint, request] of Object.entries(requests)) {
      const response = await handlers.handler(request(), endpoint);
      expect(response.status, endpoint).toBe(500);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await response.text();
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      expect(body.error.code, endpoint).toBe('invalid_config');
      expect(body.error.message).toContain('SOKETI_APP_SECRET');
      expect(text).not.toContain(KEY_VALUE);
      expect(text).not.toContain('app-id-0815');
      expect(text).not.toContain('token-secret-value');
    }
  });

  it('publish() and publishBatch() reject with the same RealtimeError; the typed wrapper too', async () => {
    soketiEnvWithout('SOKETI_APP_SECRET');
    const { realtime, typed } = createAppAtTopLevel();
    const error = await realtime.publish('orders', 'created', {}).catch((caught: unknown) => caught);
    expect(isRealtimeError(error, 'invalid_config')).toBe(true);
    expect((error as Error).message).toContain('SOKETI_APP_SECRET');
    expect(isRealtimeError(await realtime.publishBatch([{ channel: 'a', event: 'e', data: 1 }]).catch((caught: unknown) => caught), 'invalid_config')).toBe(true);
    expect(() => typed.provider).toThrow(/SOKETI_APP_SECRET/);
  });

  it('a malformed variable is named without its value; REALTIME_PROVIDER missing is named too', async () => {
    soketiEnvWithout();
    vi.stubEnv('SOKETI_PORT', 'port-nine');
    const malformed = createAppAtTopLevel();
    const text = await (await malformed.handlers.handler(requests.token!(), 'token')).text();
    expect(JSON.parse(text).error.code).toBe('invalid_config');
    expect(text).toContain('SOKETI_PORT');
    expect(text).not.toContain('port-nine');

    vi.stubEnv('REALTIME_PROVIDER', undefined);
    const unset = createAppAtTopLevel();
    const body = await (await unset.handlers.handler(requests['user-auth']!(), 'user-auth')).json();
    expect(body.error).toEqual({ code: 'invalid_config', message: expect.stringContaining('REALTIME_PROVIDER') });
  });

  it('a malformed REALTIME_TOKEN_SECRETS is every endpoint\'s answer, never a throw at creation', async () => {
    soketiEnvWithout();
    vi.stubEnv('REALTIME_TOKEN_SECRETS', 'no-colon-secret');
    const { handlers } = createAppAtTopLevel();
    const body = await (await handlers.handler(requests.auth!(), 'auth')).text();
    expect(JSON.parse(body).error.code).toBe('invalid_config');
    expect(body).toContain('REALTIME_TOKEN_SECRETS');
    expect(body).not.toContain('no-colon-secret');
  });

  it('built without secrets, run with them: the same handlers and realtime work once the variables are there', async () => {
    soketiEnvWithout('SOKETI_APP_SECRET');
    const { handlers, realtime } = createAppAtTopLevel();
    expect((await handlers.handler(requests.auth!(), 'auth')).status).toBe(500);
    vi.stubEnv('SOKETI_APP_SECRET', 'secret-value-never-shown');
    const signed = await handlers.handler(requests.auth!(), 'auth');
    expect(signed.status).toBe(200);
    expect(((await signed.json()) as { auth: string }).auth).toMatch(new RegExp(`^${KEY_VALUE}:[0-9a-f]{64}$`));
    expect(realtime.provider).toBe('soketi');
    await realtime.close();
  });
});
