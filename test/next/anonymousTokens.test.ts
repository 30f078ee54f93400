import { jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { defineChannels, SYSTEM_CHANNEL } from '../../src/index.js';
import type { RealtimeHandlersOptions } from '../../src/next/index.js';
import { isRealtimeError } from '../../src/core/errors.js';
import { createAblyAuth } from '../../src/providers/ably/auth.js';
import { capabilityForGrants } from '../../src/providers/ably/channels.js';
import { parseConfig } from '../../src/server/config.js';
import type { AblyConfig } from '../../src/providers/ably/config.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { createApp, CREDENTIALS, type User } from './appFixture.js';

/**
 * GET /token without a session on a token provider (Ably): a connection needs a token even for
 * public channels, so a client that asks (`anonymous=1`) gets one with no identity that may only
 * subscribe to the public channels open to anyone. Checked on the real Ably auth part, the JWT
 * verified with jose and the key's secret.
 */
const ABLY_KEY_NAME = 'anonApp.key1';
const ABLY_SECRET = 'anon-ably-secret-0123456789';
const secret = new TextEncoder().encode(ABLY_SECRET);

const channels = defineChannels({
  'private-orders.{orderId}': (user: User, { orderId }) => user.orders.includes(orderId),
  'presence-room.{roomId}': (user: User, { roomId }) => user.rooms.includes(roomId) && { id: user.id, info: { name: user.name } },
  // A public pattern: its callback decides who gets these channels, and it needs a user.
  'members.{topic}': () => true,
});

const created: Realtime[] = [];
afterEach(async () => {
  for (const realtime of created.splice(0)) await realtime.close();
});

function ablyApp(overrides: Partial<RealtimeHandlersOptions<User>> = {}, provider: 'ably' | 'soketi' = 'ably') {
  const realtime =
    provider === 'ably'
      ? createRealtime({ provider: 'ably', apiKeys: [`${ABLY_KEY_NAME}:${ABLY_SECRET}`], endpoint: 'localhost', port: 1, tls: false })
      : createRealtime({ provider: 'soketi', ...CREDENTIALS, host: '127.0.0.1', port: 1 });
  created.push(realtime);
  return createApp({ channels, tokenTtlSeconds: 90, ...overrides }, realtime);
}

async function token(app: ReturnType<typeof ablyApp>, query: string, headers: Record<string, string> = {}) {
  const request = new Request(`http://localhost:3000/api/realtime/token?${query}`, { headers });
  const response = await app.handlers.GET(request, { params: Promise.resolve({ path: ['token'] }) });
  return { status: response.status, json: (await response.json()) as any };
}

const ask = (...names: string[]) => [...names.map((name) => `channel=${encodeURIComponent(name)}`), 'anonymous=1'].join('&');

async function claimsOf(jwt: string) {
  const { payload, protectedHeader } = await jwtVerify(jwt, secret, { algorithms: ['HS256'] });
  return { payload, protectedHeader, capability: JSON.parse(payload['x-ably-capability'] as string) as Record<string, string[]> };
}

describe('anonymous Ably tokens (GET /token without a session)', () => {
  it('grant exactly the requested public channels open to anyone, subscribe only, with no clientId; private, presence, encrypted and policy-named public channels are left out', async () => {
    const app = ablyApp();
    const before = Math.floor(Date.now() / 1000);
    const result = await token(app, ask('news', 'scores.7', 'private-orders.42', 'presence-room.1', 'private-encrypted-inbox.u1', 'members.gold', 'news'));
    expect(result.status).toBe(200);
    expect(result.json.anonymous).toBe(true);
    expect(result.json.provider).toBe('ably');
    const { payload, protectedHeader, capability } = await claimsOf(result.json.token);
    expect(protectedHeader.kid).toBe(ABLY_KEY_NAME);
    expect('x-ably-clientId' in payload).toBe(false);
    expect(payload['x-realtime-presence']).toBeUndefined();
    expect(capability).toEqual({ news: ['subscribe'], 'scores.7': ['subscribe'], [SYSTEM_CHANNEL]: ['subscribe'] });
    expect(payload.exp! - payload.iat!).toBe(90);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(result.json.expiresAt).toBe(payload.exp! * 1000);
  });

  it('a request that names only channels an anonymous visitor may not have still connects: the system channel only', async () => {
    const { capability } = await claimsOf((await token(ablyApp(), ask('private-orders.42', 'presence-room.1'))).json.token);
    expect(capability).toEqual({ [SYSTEM_CHANNEL]: ['subscribe'] });
  });

  it('only when the client asks: without anonymous=1 (or with another value) no session is still 401, as on every provider', async () => {
    const app = ablyApp();
    for (const query of ['channel=news', 'channel=news&anonymous=true', 'channel=news&anonymous=0']) {
      const result = await token(app, query);
      expect(result.status, query).toBe(401);
      expect(result.json.error.code).toBe('unauthorized');
      expect(result.json.token).toBeUndefined();
    }
  });

  it('`anonymousTokens: false` turns them off; signature providers (Soketi) never issue them (public channels need no token there)', async () => {
    const off = await token(ablyApp({ anonymousTokens: false }), ask('news'));
    expect(off.status).toBe(401);
    const soketi = await token(ablyApp({}, 'soketi'), ask('news'));
    expect(soketi.status).toBe(401);
    expect(soketi.json.token).toBeUndefined();
  });

  it('a session wins: the same request with a session gets the user token (clientId, the policy decides)', async () => {
    const result = await token(ablyApp(), ask('news', 'private-orders.42', 'members.gold'), { cookie: 'session=alice' });
    expect(result.status).toBe(200);
    expect(result.json.anonymous).toBeUndefined();
    const { payload, capability } = await claimsOf(result.json.token);
    expect(payload['x-ably-clientId']).toBe('u1');
    expect(capability).toEqual({
      'members.gold': ['subscribe'],
      news: ['subscribe'],
      'private-orders.42': ['publish', 'subscribe'],
      [SYSTEM_CHANNEL]: ['subscribe'],
    });
  });

  it('a bearer token is not a session and does not upgrade an anonymous request', async () => {
    const result = await token(ablyApp(), ask('private-orders.42', 'news'), { authorization: 'Bearer not-a-session' });
    expect(result.status).toBe(200);
    const { payload, capability } = await claimsOf(result.json.token);
    expect('x-ably-clientId' in payload).toBe(false);
    expect(capability).toEqual({ news: ['subscribe'], [SYSTEM_CHANNEL]: ['subscribe'] });
  });

  it('bad input is refused before anything is signed (400), as for users', async () => {
    const app = ablyApp();
    expect((await token(app, 'channel=bad%20name&anonymous=1')).json.error.code).toBe('invalid_channel');
    expect((await token(app, `${Array.from({ length: 101 }, (_, i) => `channel=c${i}`).join('&')}&anonymous=1`)).json.error.code).toBe('too_many_channels');
    expect((await token(app, 'socket_id=%3Cscript%3E&anonymous=1')).json.error.code).toBe('invalid_socket_id');
  });
});

describe('rate limit of anonymous token requests', () => {
  it('by client address: the last X-Forwarded-For entry (what the nearest proxy saw), never the entries a client can prepend', async () => {
    const app = ablyApp({ anonymousTokens: { rateLimit: { capacity: 2, refillPerSecond: 0.001 } } });
    const from = (forwarded: string) => token(app, ask('news'), { 'x-forwarded-for': forwarded });
    expect((await from('203.0.113.9')).status).toBe(200);
    expect((await from('198.51.100.1, 203.0.113.9')).status).toBe(200);
    const limited = await from('10.9.9.9, 203.0.113.9');
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limited');
    expect(limited.json.token).toBeUndefined();
    // Another address has its own bucket; a signed-in user from the limited address has theirs.
    expect((await from('203.0.113.10')).status).toBe(200);
    expect((await token(app, ask('news'), { 'x-forwarded-for': '203.0.113.9', cookie: 'session=alice' })).status).toBe(200);
  });

  it('by default a burst of 60 per address, then 429; X-Real-IP when there is no X-Forwarded-For; clientAddress replaces both', async () => {
    const app = ablyApp();
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await token(app, ask('news'), { 'x-real-ip': '192.0.2.1' })).status);
    expect(statuses.slice(0, 60).every((status) => status === 200)).toBe(true);
    expect(statuses[60]).toBe(429);
    expect((await token(app, ask('news'), { 'x-real-ip': '192.0.2.2' })).status).toBe(200);

    const keys: string[] = [];
    const custom = ablyApp({
      anonymousTokens: { clientAddress: (request) => request.headers.get('x-platform-ip') ?? undefined, rateLimit: { consume: (key) => (keys.push(key), { allowed: true, retryAfterSeconds: 0 }) } },
    });
    await token(custom, ask('news'), { 'x-platform-ip': '192.0.2.77', 'x-forwarded-for': '1.1.1.1' });
    await token(custom, ask('news'));
    expect(keys).toEqual(['anonymous:192.0.2.77', 'anonymous:unknown']);
  });

  it('a clientAddress that throws is a logged 500 naming the callback, never a token', async () => {
    const app = ablyApp({
      anonymousTokens: {
        clientAddress: () => {
          throw new Error('platform lookup failed');
        },
      },
    });
    const result = await token(app, ask('news'));
    expect(result.status).toBe(500);
    expect(result.json.error.message).toMatch(/anonymousTokens\.clientAddress/);
    expect(result.json.token).toBeUndefined();
    expect(app.logged.join('\n')).toMatch(/platform lookup failed/);
  });
});

describe('the Ably auth part refuses anything but public channels for an anonymous token, whatever the caller asks', () => {
  const auth = createAblyAuth(parseConfig({ provider: 'ably', apiKeys: [`${ABLY_KEY_NAME}:${ABLY_SECRET}`] }) as AblyConfig);

  it('private and presence grants throw forbidden; public grants are subscribe only', async () => {
    for (const channel of ['private-orders.42', 'presence-room.1']) {
      let error: unknown;
      try {
        capabilityForGrants(undefined, [{ channel: 'news' }, { channel }]);
      } catch (caught) {
        error = caught;
      }
      expect(isRealtimeError(error, 'forbidden'), channel).toBe(true);
      await expect(auth.issueClientToken({ userId: undefined, grants: [{ channel }], ttlSeconds: 60 })).rejects.toMatchObject({ code: 'forbidden' });
    }
    expect(capabilityForGrants(undefined, [{ channel: 'news' }]).capability).toEqual({ news: ['subscribe'] });
  });

  it('an anonymous TokenRequest has no clientId and its mac signs the empty clientId field, as Ably expects', async () => {
    const request = await auth.createTokenRequest({ userId: undefined, grants: [{ channel: 'news' }], ttlSeconds: 60 });
    expect('clientId' in request).toBe(false);
    const { createHmac } = await import('node:crypto');
    const text = [request.keyName, request.ttl, request.capability, '', request.timestamp, request.nonce].map((field) => `${field}\n`).join('');
    expect(request.mac).toBe(createHmac('sha256', ABLY_SECRET).update(text).digest('base64'));
  });
});
