import { afterEach, describe, expect, it } from 'vitest';
import { defineChannels } from '../../src/core/channelPolicy.js';
import { isRealtimeError } from '../../src/core/errors.js';
import { connectionChannelName } from '../../src/core/systemEvents.js';
import { signRealtimeToken } from '../../src/core/realtimeToken.js';
import { createRealtimeFetchHandler } from '../../src/next/fetchHandler.js';
import { createConnectionControl, type ConnectionControl } from '../../src/server/connectionControl.js';
import { createConnectionGuard } from '../../src/server/connections/connectionGuard.js';
import { createRealtime } from '../../src/server/realtime.js';
import { createMemoryStore } from '../../src/server/state/memoryStore.js';
import { sessionHeaders, sessionUser } from '../support/routeFetch.js';

/**
 * The guard through the real route handlers (createRealtimeFetchHandler), on the memory provider:
 * what each endpoint answers when the limit is reached, and what the connection channel allows.
 */
const controls: ConnectionControl[] = [];
afterEach(() => {
  for (const control of controls.splice(0)) control.dispose();
});

function setup(maxPerUser = 2) {
  const realtime = createRealtime({ provider: 'memory', hub: `guard-${Math.random()}` });
  const control = createConnectionControl({ realtime, tokenSecrets: 'k1:first-secret-0123456789', store: createMemoryStore(), maxPerUser });
  controls.push(control);
  const handler = createRealtimeFetchHandler<{ id: string }>({
    realtime,
    channels: defineChannels<{ id: string }, string>({ 'private-orders.{id}': () => true }),
    getUser: sessionUser,
    tokenSecrets: control.keyring,
    tokenRateLimit: false,
    hooks: control.hooks,
    log: () => undefined,
  });
  const post = async (endpoint: string, fields: Record<string, string>, auth: { session?: string; bearer?: string }) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth.session) Object.assign(headers, sessionHeaders(auth.session));
    if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
    const response = await handler(new Request(`http://app.test/api/realtime/${endpoint}`, { method: 'POST', headers, body: new URLSearchParams(fields).toString() }), endpoint);
    return { status: response.status, text: await response.text() };
  };
  const token = async (session: string, socketId?: string, signIn = false) => {
    const query = socketId ? `?socket_id=${socketId}${signIn ? '&sign_in=1' : ''}` : '';
    const response = await handler(new Request(`http://app.test/api/realtime/token${query}`, { headers: sessionHeaders(session) }), 'token');
    return { status: response.status, text: await response.text() };
  };
  return { realtime, control, post, token };
}

describe('connection limit through the route handlers', () => {
  it('POST /user-auth: the connection over the limit gets 429 too_many_connections and no signature; re-signing an admitted socket is fine', async () => {
    const { post } = setup(2);
    expect((await post('user-auth', { socket_id: '1.1' }, { session: 'alice' })).status).toBe(200);
    expect((await post('user-auth', { socket_id: '1.2' }, { session: 'alice' })).status).toBe(200);
    const refused = await post('user-auth', { socket_id: '1.3' }, { session: 'alice' });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({ error: { code: 'too_many_connections', message: expect.stringContaining('limit is 2') } });
    expect(refused.text).not.toContain('"auth"');
    expect((await post('user-auth', { socket_id: '1.1' }, { session: 'alice' })).status).toBe(200);
    expect((await post('user-auth', { socket_id: '2.1' }, { session: 'bob' })).status).toBe(200);
  });

  it('GET /token counts a socket only when it brings that socket\'s sign-in along (sign_in=1): at the limit, 429 and neither token nor signature', async () => {
    const { token } = setup(2);
    // On the Pusher protocol a token is not a connection's credential: without the sign-in it counts nothing.
    for (let i = 0; i < 5; i++) expect((await token('carol')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await token('carol', `4.${i}`)).status).toBe(200);
    expect((await token('carol', '3.1', true)).status).toBe(200);
    expect((await token('carol', '3.2', true)).status).toBe(200);
    const refused = await token('carol', '3.3', true);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({ error: { code: 'too_many_connections', message: expect.stringContaining('limit is 2') } });
    // An admitted socket re-authenticating (a rotation) is not a new connection.
    const again = await token('carol', '3.1', true);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.text)).toMatchObject({ token: expect.any(String), userAuthentication: { auth: expect.any(String) } });
  });

  it('records the key a sign-in used: the bearer token kid, else the key that signs now', async () => {
    const { post, control } = setup(5);
    const bearer = await signRealtimeToken(control.keyring, 'dave');
    expect((await post('user-auth', { socket_id: '4.1' }, { bearer: bearer.token })).status).toBe(200);
    expect((await post('user-auth', { socket_id: '4.2' }, { session: 'dave' })).status).toBe(200);
    expect((await control.store.connections('dave')).map((record) => record.kid)).toEqual(['k1', 'k1']);
  });

  it('POST /auth: a user may join only their own connection channel, as member = socket id; app channels still follow the policy', async () => {
    const { post } = setup();
    const own = await post('auth', { socket_id: '5.1', channel_name: await connectionChannelName('erin') }, { session: 'erin' });
    expect(own.status).toBe(200);
    expect(JSON.parse(JSON.parse(own.text).channel_data)).toEqual({ user_id: '5.1', user_info: {} });
    const other = await post('auth', { socket_id: '5.1', channel_name: await connectionChannelName('frank') }, { session: 'erin' });
    expect(other.status).toBe(403);
    expect(other.text).not.toContain('"auth"');
    expect((await post('auth', { socket_id: '5.1', channel_name: 'private-orders.1' }, { session: 'erin' })).status).toBe(200);
    expect((await post('auth', { socket_id: '5.1', channel_name: 'private-other.1' }, { session: 'erin' })).status).toBe(403);
  });

  it('logout frees the slots at once', async () => {
    const { post, control } = setup(1);
    expect((await post('user-auth', { socket_id: '6.1' }, { session: 'gina' })).status).toBe(200);
    expect((await post('user-auth', { socket_id: '6.2' }, { session: 'gina' })).status).toBe(429);
    await control.terminateUser('gina');
    expect(await control.store.connections('gina')).toEqual([]);
    expect((await post('user-auth', { socket_id: '6.2' }, { session: 'gina' })).status).toBe(200);
  });
});

describe('configuration', () => {
  it('reads REALTIME_MAX_CONNECTIONS_PER_USER, default 5, and rejects nonsense naming the variable', () => {
    const realtime = createRealtime({ provider: 'memory' });
    const store = createMemoryStore();
    const saved = process.env.REALTIME_MAX_CONNECTIONS_PER_USER;
    try {
      delete process.env.REALTIME_MAX_CONNECTIONS_PER_USER;
      expect(createConnectionGuard({ realtime, store }).maxPerUser).toBe(5);
      process.env.REALTIME_MAX_CONNECTIONS_PER_USER = '12';
      expect(createConnectionGuard({ realtime, store }).maxPerUser).toBe(12);
      for (const bad of ['0', '-1', '2.5', 'many']) {
        process.env.REALTIME_MAX_CONNECTIONS_PER_USER = bad;
        expect(() => createConnectionGuard({ realtime, store })).toThrow(/REALTIME_MAX_CONNECTIONS_PER_USER/);
      }
    } finally {
      if (saved === undefined) delete process.env.REALTIME_MAX_CONNECTIONS_PER_USER;
      else process.env.REALTIME_MAX_CONNECTIONS_PER_USER = saved;
    }
  });

  it('createConnectionControl needs token keys, and says which variable to set when it is used (not at creation)', async () => {
    const saved = process.env.REALTIME_TOKEN_SECRETS;
    try {
      delete process.env.REALTIME_TOKEN_SECRETS;
      // Created where the app wires things together (even during `next build`): no throw there.
      const control = createConnectionControl({ realtime: createRealtime({ provider: 'memory' }), store: createMemoryStore() });
      expect(() => control.keyring.current).toThrow(/REALTIME_TOKEN_SECRETS/);
      await expect(control.hooks.onTokenIssued({ user: { id: 'u' }, kid: 'k', expiresAt: 0 })).rejects.toSatisfy(
        (error: unknown) => isRealtimeError(error, 'invalid_config') && /REALTIME_TOKEN_SECRETS/.test((error as Error).message),
      );
      await expect(control.terminateUser('u')).rejects.toThrow(/REALTIME_TOKEN_SECRETS/);
    } finally {
      if (saved !== undefined) process.env.REALTIME_TOKEN_SECRETS = saved;
    }
  });

  it('refuses a rotation with nothing to rotate from', async () => {
    const { control } = setup();
    await expect(control.rotation.start()).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_config'));
    await expect(control.rotation.start({ toKid: 'nope' })).rejects.toThrow(/not in REALTIME_TOKEN_SECRETS/);
  });
});
