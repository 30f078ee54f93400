import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { defineChannels } from '../../src/core/channelPolicy.js';
import { parseKeyring, withSigningKey } from '../../src/core/keyring.js';
import { signRealtimeToken } from '../../src/core/realtimeToken.js';
import { createRealtimeFetchHandler } from '../../src/next/fetchHandler.js';
import { createConnectionControl, type ConnectionControl } from '../../src/server/connectionControl.js';
import { createRealtime } from '../../src/server/realtime.js';
import { createMemoryStore } from '../../src/server/state/memoryStore.js';

/**
 * Issue 14 item 4: the connection guard and rotation count only verified token claims. A client
 * with a session also sends its bearer token; a token that does not verify must not decide which
 * key a sign-in is recorded under (rotation would count it as re-authenticated).
 */
const SECRETS = 'k-new:new-secret-0123456789abcdef,k-old:old-secret-0123456789abcdef';
const controls: ConnectionControl[] = [];
afterEach(() => {
  for (const control of controls.splice(0)) control.dispose();
});

function setup() {
  const realtime = createRealtime({ provider: 'memory', hub: `kid-${Math.random()}` });
  const control = createConnectionControl({ realtime, tokenSecrets: SECRETS, store: createMemoryStore(), maxPerUser: 10 });
  controls.push(control);
  const seen: Array<{ hook: string; kid: string | undefined }> = [];
  const handler = createRealtimeFetchHandler<{ id: string }>({
    realtime,
    channels: defineChannels<{ id: string }, string>({ 'private-orders.{id}': () => true }),
    getUser: (request) => {
      const session = /session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      return session ? { id: session } : null;
    },
    tokenSecrets: control.keyring,
    tokenRateLimit: false,
    log: () => undefined,
    hooks: {
      onUserAuthenticate: async (context) => {
        seen.push({ hook: 'onUserAuthenticate', kid: context.kid });
        await control.hooks.onUserAuthenticate(context);
      },
      onChannelAuthorize: async (context) => {
        seen.push({ hook: 'onChannelAuthorize', kid: context.kid });
        return control.hooks.onChannelAuthorize(context);
      },
    },
  });
  const post = async (endpoint: string, fields: Record<string, string>, auth: { session?: string; bearer?: string }) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth.session) headers.cookie = `session=${auth.session}`;
    if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
    const response = await handler(new Request(`http://app.test/api/realtime/${endpoint}`, { method: 'POST', headers, body: new URLSearchParams(fields).toString() }), endpoint);
    return response.status;
  };
  const kids = async (userId: string) => Object.fromEntries((await control.store.connections(userId)).map((record) => [record.socketId, record.kid]));
  return { control, post, kids, seen };
}

/** A token whose header names the old key but which that key never signed. */
const forged = (kid: string, sub: string) =>
  new SignJWT({ scope: 'realtime' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1m')
    .setJti('forged')
    .sign(new TextEncoder().encode('not-the-old-secret'));

describe('the guard records only a verified kid', () => {
  it('session + a forged token naming the old key: recorded under the key that signs now, the hooks see no kid', async () => {
    const { post, kids, seen } = setup();
    expect(await post('user-auth', { socket_id: '1.1' }, { session: 'ann', bearer: await forged('k-old', 'ann') })).toBe(200);
    expect(await kids('ann')).toEqual({ '1.1': 'k-new' });
    expect(seen).toEqual([{ hook: 'onUserAuthenticate', kid: undefined }]);
  });

  it('session + a real token of the old key: recorded under the old key (a rotation still counts it as pending)', async () => {
    const { post, kids, seen } = setup();
    const old = await signRealtimeToken(withSigningKey(parseKeyring(SECRETS), 'k-old'), 'ben');
    expect(await post('user-auth', { socket_id: '2.1' }, { session: 'ben', bearer: old.token })).toBe(200);
    expect(await post('auth', { socket_id: '2.1', channel_name: 'private-orders.1' }, { session: 'ben', bearer: old.token })).toBe(200);
    expect(await kids('ben')).toEqual({ '2.1': 'k-old' });
    expect(seen).toEqual([
      { hook: 'onUserAuthenticate', kid: 'k-old' },
      { hook: 'onChannelAuthorize', kid: 'k-old' },
    ]);
  });

  it('no session: the bearer token must verify, and its verified kid is what the guard records', async () => {
    const { post, kids } = setup();
    expect(await post('user-auth', { socket_id: '3.1' }, { bearer: await forged('k-old', 'cy') })).toBe(401);
    const old = await signRealtimeToken(withSigningKey(parseKeyring(SECRETS), 'k-old'), 'cy');
    expect(await post('user-auth', { socket_id: '3.2' }, { bearer: old.token })).toBe(200);
    expect(await kids('cy')).toEqual({ '3.2': 'k-old' });
  });
});
