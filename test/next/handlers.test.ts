import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { defineChannels, RealtimeError, SYSTEM_CHANNEL } from '../../src/index.js';
import type { ChannelGrant } from '../../src/core/provider.js';
import type { TokenAuth } from '../../src/core/providerParts.js';
import { createRealtimeHandlers, parseKeyring, signRealtimeToken, socketIdFromHeaders } from '../../src/next/index.js';
import { call, channels, createApp, CREDENTIALS, form, getUser, reference, TOKEN_SECRETS, USERS, type User } from './appFixture.js';

const encoder = new TextEncoder();
const apps: Array<ReturnType<typeof createApp>> = [];
function app(overrides?: Parameters<typeof createApp>[0]) {
  const created = createApp(overrides);
  apps.push(created);
  return created;
}
afterEach(async () => {
  for (const created of apps.splice(0)) await created.realtime.close();
});

describe('POST /auth: channel authorization', () => {
  it('signs a private channel the policy allows, form-encoded as pusher-js sends it, equal to the official SDK', async () => {
    const result = await call(app(), 'auth', form({ socket_id: '123.456', channel_name: 'private-orders.42' }, 'alice'));
    expect(result.status).toBe(200);
    expect(result.json).toEqual(reference.authorizeChannel('123.456', 'private-orders.42'));
    expect(result.headers.get('cache-control')).toBe('no-store');
  });

  it('accepts JSON bodies too', async () => {
    const result = await call(app(), 'auth', {
      headers: { 'content-type': 'application/json; charset=utf-8', cookie: 'session=alice' },
      body: JSON.stringify({ socket_id: '1.2', channel_name: 'private-orders.42' }),
    });
    expect(result.status).toBe(200);
    expect(result.json).toEqual(reference.authorizeChannel('1.2', 'private-orders.42'));
  });

  it('presence: channel_data is the member the policy returned, signed like the SDK', async () => {
    const result = await call(app(), 'auth', form({ socket_id: '5.6', channel_name: 'presence-room.1' }, 'alice'));
    expect(result.status).toBe(200);
    expect(JSON.parse(result.json.channel_data)).toEqual({ user_id: 'u1', user_info: { name: 'Alice' } });
    expect(result.json).toEqual(reference.authorizeChannel('5.6', 'presence-room.1', { user_id: 'u1', user_info: { name: 'Alice' } }));
  });

  it('private-encrypted: returns the same shared_secret as the SDK', async () => {
    const result = await call(app(), 'auth', form({ socket_id: '5.6', channel_name: 'private-encrypted-inbox.u1' }, 'alice'));
    expect(result.status).toBe(200);
    expect(result.json.shared_secret).toBeTruthy();
    expect(result.json).toEqual(reference.authorizeChannel('5.6', 'private-encrypted-inbox.u1'));
  });

  it('refuses what the policy refuses (403), including channels no pattern matches (default deny)', async () => {
    const created = app();
    for (const [session, channel] of [
      ['bob', 'private-orders.42'],
      ['bob', 'presence-room.1'],
      ['alice', 'private-encrypted-inbox.u2'],
      ['alice', 'private-unknown.1'],
      ['alice', 'presence-nobody.1'],
    ] as const) {
      const result = await call(created, 'auth', form({ socket_id: '1.2', channel_name: channel }, session));
      expect(result.status, channel).toBe(403);
      expect(result.json).toEqual({ error: { code: 'forbidden', message: expect.stringContaining(channel) } });
      expect(result.text).not.toContain('auth"');
    }
  });

  it("a pattern of one kind authorizes no other kind: 'private-{room}' and private-encrypted-general is 403, no shared_secret", async () => {
    const created = app({ channels: defineChannels({ 'private-{room}': () => true }) as unknown as typeof channels });
    const encrypted = await call(created, 'auth', form({ socket_id: '1.2', channel_name: 'private-encrypted-general' }, 'alice'));
    expect(encrypted.status).toBe(403);
    expect(encrypted.json.error.code).toBe('forbidden');
    expect(encrypted.text).not.toContain('shared_secret');
    expect(encrypted.text).not.toContain('"auth"');
    const plain = await call(created, 'auth', form({ socket_id: '1.2', channel_name: 'private-general' }, 'alice'));
    expect(plain.json).toEqual(reference.authorizeChannel('1.2', 'private-general'));
    // One segment by default: a list in a parameter matches nothing.
    const list = await call(app(), 'auth', form({ socket_id: '1.2', channel_name: 'private-orders.42,43' }, 'alice'));
    expect(list.status).toBe(403);
  });

  it('answers bad input with 4xx and a JSON error, never a signature', async () => {
    const created = app();
    const cases: Array<[Parameters<typeof call>[2], number, string]> = [
      [form({ channel_name: 'private-orders.42' }, 'alice'), 400, 'invalid_socket_id'],
      [form({ socket_id: '12', channel_name: 'private-orders.42' }, 'alice'), 400, 'invalid_socket_id'],
      [form({ socket_id: '1.2\n', channel_name: 'private-orders.42' }, 'alice'), 400, 'invalid_socket_id'],
      [form({ socket_id: '1.2:private-orders.42', channel_name: 'private-orders.42' }, 'alice'), 400, 'invalid_socket_id'],
      [form({ socket_id: '1.2' }, 'alice'), 400, 'invalid_channel'],
      [form({ socket_id: '1.2', channel_name: 'private-orders 42' }, 'alice'), 400, 'invalid_channel'],
      [form({ socket_id: '1.2', channel_name: 'orders.42' }, 'alice'), 400, 'invalid_channel'],
      [form({ socket_id: '1.2', channel_name: `private-${'x'.repeat(200)}` }, 'alice'), 400, 'invalid_channel'],
      [form({ socket_id: '1.2', channel_name: 'private-orders.42' }), 401, 'unauthorized'],
      [form({ socket_id: '1.2', channel_name: 'private-orders.42' }, 'mallory'), 401, 'unauthorized'],
      [{ headers: { 'content-type': 'text/plain', cookie: 'session=alice' }, body: 'socket_id=1.2&channel_name=private-orders.42' }, 415, 'unsupported_media_type'],
      [{ headers: { cookie: 'session=alice' }, body: null }, 415, 'unsupported_media_type'],
      [{ headers: { 'content-type': 'application/json', cookie: 'session=alice' }, body: '{"socket_id":' }, 400, 'invalid_payload'],
      [{ headers: { 'content-type': 'application/json', cookie: 'session=alice' }, body: '[1,2]' }, 400, 'invalid_payload'],
      [{ headers: { 'content-type': 'application/json', cookie: 'session=alice' }, body: '{"socket_id":12.5,"channel_name":"private-orders.42"}' }, 400, 'invalid_socket_id'],
      [{ headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'session=alice' }, body: 'socket_id=1.2&socket_id=3.4&channel_name=private-orders.42' }, 400, 'invalid_payload'],
      [{ headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'session=alice' }, body: new Uint8Array([0xff, 0xfe, 0x00]) }, 400, 'invalid_payload'],
    ];
    for (const [init, status, code] of cases) {
      const result = await call(created, 'auth', init);
      expect({ status: result.status, code: result.json?.error?.code }, JSON.stringify(init?.body)).toEqual({ status, code });
      expect(result.json.auth).toBeUndefined();
      expect(typeof result.json.error.message).toBe('string');
    }
  });

  it('caps the body at 8 KB, with or without a Content-Length', async () => {
    const created = app();
    const big = `socket_id=1.2&channel_name=private-orders.42&pad=${'x'.repeat(9000)}`;
    const withLength = await call(created, 'auth', { ...form({}, 'alice'), body: big });
    expect(withLength.status).toBe(413);
    expect(withLength.json.error.code).toBe('payload_too_large');
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(encoder.encode('x'.repeat(1000)));
        controller.close();
      },
    });
    const streamed = await call(created, 'auth', { ...form({}, 'alice'), body: chunked });
    expect(streamed.status).toBe(413);
  });

  it('unknown path -> 404, wrong method -> 405 with Allow', async () => {
    const created = app();
    expect((await call(created, 'nope')).status).toBe(404);
    expect((await call(created, 'auth/extra')).status).toBe(404);
    expect((await call(created, '__proto__')).status).toBe(404);
    const wrong = await call(created, 'auth', { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(wrong.json.error.code).toBe('method_not_allowed');
    expect((await call(created, 'token', { method: 'POST', ...form({}, 'alice') })).status).toBe(405);
  });

  it('a getUser or policy callback that throws is a JSON 500 without details, logged without secrets or stack', async () => {
    const created = app();
    const failing = await call(created, 'auth', form({ socket_id: '1.2', channel_name: 'private-orders.42' }, 'boom'));
    expect(failing.status).toBe(500);
    expect(failing.json).toEqual({ error: { code: 'internal_error', message: "the app's getUser failed; see the server log" } });
    const policy = await call(created, 'auth', form({ socket_id: '1.2', channel_name: 'private-explode.1' }, 'alice'));
    expect(policy.status).toBe(500);
    expect(policy.json.error.code).toBe('internal_error');
    expect(policy.text).not.toContain('hunter2');
    expect(created.logged).toHaveLength(2);
    expect(created.logged[0]).toContain('getUser threw Error');
    expect(created.logged.join('\n')).not.toMatch(/at .*\.ts:\d+/);
  });

  it('a presence policy that returns a member without an id is a server fault (500 invalid_config), not a signature', async () => {
    const broken = app({
      channels: channels as never,
    });
    const policy = createRealtimeHandlers<User>({
      realtime: broken.realtime,
      channels: (await import('../../src/index.js')).defineChannels({ 'presence-x.{id}': () => ({ id: '' }) }),
      getUser,
      tokenSecrets: TOKEN_SECRETS,
      userFromToken: () => null,
      log: () => {},
    });
    const response = await policy.POST(
      new Request('http://localhost/api/realtime/auth', { method: 'POST', ...form({ socket_id: '1.2', channel_name: 'presence-x.1' }, 'alice') }),
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as any).error.code).toBe('invalid_config');
  });
});

describe('GET /token and bearer tokens', () => {
  const keyring = parseKeyring(TOKEN_SECRETS);

  it('issues a 60 s HS256 JWT signed with the first key: kid header, scope, sub, iat, exp, jti', async () => {
    const before = Date.now();
    const result = await call(app(), 'token', { headers: { cookie: 'session=alice' } });
    expect(result.status).toBe(200);
    expect(result.json).toEqual({ token: expect.any(String), expiresAt: expect.any(Number), provider: 'soketi' });
    expect(decodeProtectedHeader(result.json.token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k2' });
    const { payload } = await jwtVerify(result.json.token, encoder.encode('second-secret-0123456789'), { algorithms: ['HS256'] });
    expect(payload).toEqual({ scope: 'realtime', sub: 'u1', iat: expect.any(Number), exp: expect.any(Number), jti: expect.any(String) });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(result.json.expiresAt).toBe(payload.exp! * 1000);
    expect(result.json.expiresAt).toBeGreaterThanOrEqual(before + 59_000);
    expect(result.headers.get('cache-control')).toBe('no-store');
  });

  it('needs a session (401), and a token never mints another token', async () => {
    const created = app();
    expect((await call(created, 'token')).status).toBe(401);
    const issued = await call(created, 'token', { headers: { cookie: 'session=alice' } });
    const withBearer = await call(created, 'token', { headers: { authorization: `Bearer ${issued.json.token}` } });
    expect(withBearer.status).toBe(401);
    expect(withBearer.json.error.code).toBe('unauthorized');
  });

  it('the other endpoints accept the token as Authorization: Bearer when there is no session', async () => {
    const created = app();
    const { json } = await call(created, 'token', { headers: { cookie: 'session=alice' } });
    const bearer = { authorization: `Bearer ${json.token}`, 'content-type': 'application/x-www-form-urlencoded' };
    const auth = await call(created, 'auth', { headers: bearer, body: 'socket_id=1.2&channel_name=private-orders.42' });
    expect(auth.status).toBe(200);
    expect(auth.json).toEqual(reference.authorizeChannel('1.2', 'private-orders.42'));
    const presence = await call(created, 'auth', { headers: bearer, body: 'socket_id=1.2&channel_name=presence-room.1' });
    expect(presence.status).toBe(200);
    expect(JSON.parse(presence.json.channel_data)).toEqual({ user_id: 'u1', user_info: { name: 'Alice' } });
    const userAuth = await call(created, 'user-auth', { headers: bearer, body: 'socket_id=1.2' });
    expect(userAuth.status).toBe(200);
    expect(userAuth.json).toEqual(reference.authenticateUser('1.2', { id: 'u1' }));
    // userFromToken decides who a token holder is: a user that no longer exists is refused.
    const gone = await call(app({ userFromToken: () => null }), 'auth', { headers: bearer, body: 'socket_id=1.2&channel_name=private-orders.42' });
    expect(gone.status).toBe(401);
  });

  it('a user type that is just { id } needs no userFromToken: the token subject is the user', async () => {
    const { realtime } = app();
    const handlers = createRealtimeHandlers({
      realtime,
      channels: defineChannels({ 'private-self.{id}': (user: { id: string }, { id }) => user.id === id }),
      getUser: () => null,
      tokenSecrets: TOKEN_SECRETS,
    });
    const { token } = await signRealtimeToken(parseKeyring(TOKEN_SECRETS), 'u7');
    const request = (channel: string) =>
      new Request('http://localhost/api/realtime/auth', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `socket_id=1.2&channel_name=${channel}`,
      });
    expect((await handlers.POST(request('private-self.u7'))).status).toBe(200);
    expect((await handlers.POST(request('private-self.u8'))).status).toBe(403);
  });

  it('expired, forged, wrong-kid, wrong-scope, wrong-algorithm and malformed tokens get 401 and no signature', async () => {
    const created = app();
    const body = 'socket_id=1.2&channel_name=presence-room.1';
    const secret = encoder.encode('second-secret-0123456789');
    const now = Math.floor(Date.now() / 1000);
    const claims = { scope: 'realtime', sub: 'u1', jti: 'j' };
    const sign = (payload: Record<string, unknown>, header: Record<string, unknown>, key = secret, iat = now, exp = now + 60) =>
      new SignJWT(payload).setProtectedHeader(header as never).setIssuedAt(iat).setExpirationTime(exp).sign(key);
    const expired = (await signRealtimeToken(keyring, 'u1', { ttlSeconds: 60, now: Date.now() - 120_000 })).token;
    const tokens: Record<string, [string, string]> = {
      expired: [expired, 'token_expired'],
      forged: [await sign(claims, { alg: 'HS256', kid: 'k2' }, encoder.encode('guessed')), 'invalid_token'],
      unknownKid: [await sign(claims, { alg: 'HS256', kid: 'k9' }), 'invalid_token'],
      noKid: [await sign(claims, { alg: 'HS256' }), 'invalid_token'],
      wrongScope: [await sign({ ...claims, scope: 'admin' }, { alg: 'HS256', kid: 'k2' }), 'invalid_token'],
      noSub: [await sign({ scope: 'realtime', jti: 'j' }, { alg: 'HS256', kid: 'k2' }), 'invalid_token'],
      hs512: [await sign(claims, { alg: 'HS512', kid: 'k2' }), 'invalid_token'],
      none: [`${btoa(JSON.stringify({ alg: 'none', kid: 'k2' }))}.${btoa(JSON.stringify({ ...claims, exp: now + 60 }))}.`, 'invalid_token'],
      garbage: ['not-a-jwt', 'invalid_token'],
    };
    for (const [name, [token, code]] of Object.entries(tokens)) {
      const result = await call(created, 'auth', {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect({ name, status: result.status, code: result.json.error?.code }).toEqual({ name, status: 401, code });
      expect(result.json.auth).toBeUndefined();
    }
    const notBearer = await call(created, 'auth', { headers: { authorization: 'Basic dTpw', 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(notBearer.status).toBe(401);
  });

  it('rotation: a token signed by a key still in the ring verifies; once the key is removed it does not', async () => {
    const oldToken = (await signRealtimeToken(parseKeyring('k1:first-secret-0123456789'), 'u1')).token;
    const body = 'socket_id=1.2&channel_name=private-encrypted-inbox.u1';
    const headers = { authorization: `Bearer ${oldToken}`, 'content-type': 'application/x-www-form-urlencoded' };
    expect((await call(app(), 'auth', { headers, body })).status).toBe(200);
    const retired = await call(app({ tokenSecrets: 'k2:second-secret-0123456789' }), 'auth', { headers, body });
    expect(retired.status).toBe(401);
    expect(retired.json.error.code).toBe('invalid_token');
  });

  it('without REALTIME_TOKEN_SECRETS: /token is a clear invalid_config 500, bearer tokens are refused with 401', async () => {
    const saved = process.env.REALTIME_TOKEN_SECRETS;
    delete process.env.REALTIME_TOKEN_SECRETS;
    try {
      const created = app({ tokenSecrets: undefined });
      const token = await call(created, 'token', { headers: { cookie: 'session=alice' } });
      expect(token.status).toBe(500);
      expect(token.json.error.code).toBe('invalid_config');
      expect(token.json.error.message).toContain('REALTIME_TOKEN_SECRETS');
      const bearer = await call(created, 'auth', {
        headers: { authorization: 'Bearer a.b.c', 'content-type': 'application/x-www-form-urlencoded' },
        body: 'socket_id=1.2&channel_name=private-orders.42',
      });
      expect(bearer.status).toBe(401);
      process.env.REALTIME_TOKEN_SECRETS = 'env-kid:env-secret';
      const fromEnv = await call(app({ tokenSecrets: undefined }), 'token', { headers: { cookie: 'session=alice' } });
      expect(decodeProtectedHeader(fromEnv.json.token).kid).toBe('env-kid');
      // Malformed: creating the handlers still works (a build needs no secrets); requests answer
      // invalid_config naming the variable, never its value.
      process.env.REALTIME_TOKEN_SECRETS = 'no-colon-here';
      const malformed = createApp({ tokenSecrets: undefined });
      const refused = await call(malformed, 'token', { headers: { cookie: 'session=alice' } });
      expect(refused.status).toBe(500);
      expect(refused.json.error).toEqual({ code: 'invalid_config', message: expect.stringMatching(/REALTIME_TOKEN_SECRETS: entry 1 must look like "kid:secret"/) });
      expect(JSON.stringify(refused.json)).not.toContain('no-colon-here');
    } finally {
      if (saved === undefined) delete process.env.REALTIME_TOKEN_SECRETS;
      else process.env.REALTIME_TOKEN_SECRETS = saved;
    }
  });

  it('is rate-limited per user: 429 with Retry-After, other users unaffected', async () => {
    const created = app({ tokenRateLimit: { capacity: 3, refillPerSecond: 0.5 } });
    for (let i = 0; i < 3; i++) expect((await call(created, 'token', { headers: { cookie: 'session=alice' } })).status).toBe(200);
    const limited = await call(created, 'token', { headers: { cookie: 'session=alice' } });
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.json.token).toBeUndefined();
    expect((await call(created, 'token', { headers: { cookie: 'session=bob' } })).status).toBe(200);
  });

  it('validates requested channels and socket_id in the query', async () => {
    const created = app();
    const bad = await call(created, 'token', { headers: { cookie: 'session=alice' }, query: 'channel=bad%20name' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_channel');
    const many = await call(created, 'token', {
      headers: { cookie: 'session=alice' },
      query: Array.from({ length: 101 }, (_, i) => `channel=c${i}`).join('&'),
    });
    expect(many.json.error.code).toBe('too_many_channels');
    const socket = await call(created, 'token', { headers: { cookie: 'session=alice' }, query: 'socket_id=%3Cscript%3E' });
    expect(socket.json.error.code).toBe('invalid_socket_id');
  });

  it('token providers (Ably): grants = requested channels the policy allows + the system channel; presence grants carry the member', async () => {
    const calls: Array<{ userId: string | undefined; grants: readonly ChannelGrant[]; ttlSeconds: number }> = [];
    const tokenAuth: TokenAuth = {
      kind: 'tokens',
      keyring: parseKeyring('appId.keyId:secret'),
      signingKeyring: parseKeyring('appId.keyId:secret'),
      useSigningKeyring() {},
      async issueClientToken(request) {
        calls.push(request);
        return { token: 'ably-token', expiresAt: 1_900_000_000_000, kid: 'appId.keyId' };
      },
    };
    const issued: unknown[] = [];
    const created = app({
      realtime: { provider: 'ably', auth: tokenAuth, getProvider: () => Promise.reject(new Error('no delivery needed')) },
      tokenTtlSeconds: 120,
      hooks: { onTokenIssued: async (context) => void issued.push(context) },
    });
    const query = ['private-orders.42', 'private-orders.43', 'presence-room.1', 'private-unknown.1', 'news'].map((c) => `channel=${c}`).join('&');
    const result = await call(created, 'token', { headers: { cookie: 'session=alice' }, query: `${query}&socket_id=abc!def-1` });
    expect(result.status).toBe(200);
    expect(result.json).toEqual({ token: 'ably-token', expiresAt: 1_900_000_000_000, provider: 'ably' });
    expect(calls).toEqual([
      {
        userId: 'u1',
        ttlSeconds: 120,
        grants: [
          { channel: 'private-orders.42' },
          { channel: 'presence-room.1', member: { id: 'u1', info: { name: 'Alice' } } },
          { channel: 'news' },
          { channel: SYSTEM_CHANNEL },
        ],
      },
    ]);
    expect(issued).toEqual([{ user: USERS.alice, userId: 'u1', kid: 'appId.keyId', expiresAt: 1_900_000_000_000, socketId: 'abc!def-1' }]);
    // The auth endpoint is not for token providers.
    const auth = await call(created, 'auth', form({ socket_id: '1.2', channel_name: 'private-orders.42' }, 'alice'));
    expect(auth.status).toBe(400);
    expect(auth.json.error.code).toBe('not_supported');
  });
});

describe('POST /user-auth and hooks', () => {
  it('signs pusher:signin for the current user, equal to the SDK, with optional user_info', async () => {
    const plain = await call(app(), 'user-auth', form({ socket_id: '9.9' }, 'alice'));
    expect(plain.status).toBe(200);
    expect(plain.json).toEqual(reference.authenticateUser('9.9', { id: 'u1' }));
    const withInfo = await call(app({ userInfo: (user) => ({ name: user.name }) }), 'user-auth', form({ socket_id: '9.9' }, 'alice'));
    expect(withInfo.json).toEqual(reference.authenticateUser('9.9', { id: 'u1', user_info: { name: 'Alice' } }));
    expect((await call(app(), 'user-auth', form({ socket_id: '9.9' }))).status).toBe(401);
    expect((await call(app(), 'user-auth', form({ socket_id: 'x' }, 'alice'))).json.error.code).toBe('invalid_socket_id');
  });

  it('onUserAuthenticate sees user and socket id; a RealtimeError it throws is answered with its status, no signature', async () => {
    const seen: unknown[] = [];
    const created = app({
      hooks: {
        async onUserAuthenticate({ user, userId, socketId, request }) {
          seen.push({ user: user.name, userId, socketId, url: new URL(request.url).pathname });
          if (user.name === 'Bob') throw new RealtimeError('too_many_connections', 'Bob already has 3 connections');
        },
      },
    });
    expect((await call(created, 'user-auth', form({ socket_id: '1.1' }, 'alice'))).status).toBe(200);
    const refused = await call(created, 'user-auth', form({ socket_id: '2.2' }, 'bob'));
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ error: { code: 'too_many_connections', message: 'Bob already has 3 connections' } });
    expect(seen).toEqual([
      { user: 'Alice', userId: 'u1', socketId: '1.1', url: '/api/realtime/user-auth' },
      { user: 'Bob', userId: 'u2', socketId: '2.2', url: '/api/realtime/user-auth' },
    ]);
  });

  it('onTokenIssued gets the kid and expiry; throwing withholds the token', async () => {
    const seen: Array<{ kid: string; expiresAt: number; socketId?: string }> = [];
    const created = app({
      hooks: {
        async onTokenIssued({ kid, expiresAt, socketId, user }) {
          seen.push({ kid, expiresAt, ...(socketId ? { socketId } : {}) });
          if (user.name === 'Bob') throw new RealtimeError('too_many_connections', 'limit reached');
        },
      },
    });
    const ok = await call(created, 'token', { headers: { cookie: 'session=alice' }, query: 'socket_id=3.4' });
    expect(seen).toEqual([{ kid: 'k2', expiresAt: ok.json.expiresAt, socketId: '3.4' }]);
    const refused = await call(created, 'token', { headers: { cookie: 'session=bob' } });
    expect(refused.status).toBe(429);
    expect(refused.json.token).toBeUndefined();
  });
});

describe('GET /token?socket_id=…&sign_in=1: a live connection re-authenticates in one request', () => {
  it("answers the token and that socket's pusher:signin (equal to the SDK, with user_info), and the sign-in hook gets the new token's kid", async () => {
    const signIns: unknown[] = [];
    const issued: unknown[] = [];
    const created = app({
      userInfo: (user) => ({ name: user.name }),
      hooks: {
        async onUserAuthenticate({ userId, socketId, kid, request }) {
          signIns.push({ userId, socketId, kid, url: new URL(request.url).pathname });
        },
        async onTokenIssued({ userId, socketId, kid }) {
          issued.push({ userId, socketId, kid });
        },
      },
    });
    const result = await call(created, 'token', { headers: { cookie: 'session=alice' }, query: 'socket_id=123.456&sign_in=1' });
    expect(result.status).toBe(200);
    expect(result.json).toEqual({
      token: expect.any(String),
      expiresAt: expect.any(Number),
      provider: 'soketi',
      userAuthentication: reference.authenticateUser('123.456', { id: 'u1', user_info: { name: 'Alice' } }),
    });
    expect(decodeProtectedHeader(result.json.token).kid).toBe('k2');
    expect(signIns).toEqual([{ userId: 'u1', socketId: '123.456', kid: 'k2', url: '/api/realtime/token' }]);
    expect(issued).toEqual([{ userId: 'u1', socketId: '123.456', kid: 'k2' }]);
  });

  it('signs nothing without both socket_id and sign_in=1, nor on a token provider, nor past a refusing sign-in hook', async () => {
    const created = app({
      hooks: {
        async onUserAuthenticate({ user }) {
          if (user.name === 'Bob') throw new RealtimeError('too_many_connections', 'Bob already has 5 connections');
        },
      },
    });
    for (const query of ['socket_id=1.2', 'sign_in=1', 'socket_id=1.2&sign_in=true']) {
      const result = await call(created, 'token', { headers: { cookie: 'session=alice' }, query });
      expect(result.status).toBe(200);
      expect(result.json.userAuthentication).toBeUndefined();
    }
    // The refusal is the whole answer: no token, no signature.
    const refused = await call(created, 'token', { headers: { cookie: 'session=bob' }, query: 'socket_id=1.2&sign_in=1' });
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ error: { code: 'too_many_connections', message: 'Bob already has 5 connections' } });
    // A socket id the Pusher protocol cannot have (an Ably connectionId) is refused, not signed.
    const foreign = await call(created, 'token', { headers: { cookie: 'session=alice' }, query: 'socket_id=abc!def-1&sign_in=1' });
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.code).toBe('invalid_socket_id');
    expect((await call(created, 'token', { query: 'socket_id=1.2&sign_in=1' })).status).toBe(401);

    const tokenAuth: TokenAuth = {
      kind: 'tokens',
      keyring: parseKeyring('appId.keyId:secret'),
      signingKeyring: parseKeyring('appId.keyId:secret'),
      useSigningKeyring() {},
      issueClientToken: async () => ({ token: 'ably-token', expiresAt: 1_900_000_000_000, kid: 'appId.keyId' }),
    };
    const ably = app({ realtime: { provider: 'ably', auth: tokenAuth, getProvider: () => Promise.reject(new Error('no delivery needed')) } });
    const onAbly = await call(ably, 'token', { headers: { cookie: 'session=alice' }, query: 'socket_id=abc!def-1&sign_in=1' });
    expect(onAbly.json).toEqual({ token: 'ably-token', expiresAt: 1_900_000_000_000, provider: 'ably' });
  });
});

describe('server actions: the sender socket id', () => {
  it('socketIdFromHeaders reads X-Socket-ID, undefined when absent, refuses garbage', () => {
    expect(socketIdFromHeaders(new Headers({ 'x-socket-id': '123.456' }))).toBe('123.456');
    expect(socketIdFromHeaders(new Headers())).toBeUndefined();
    expect(() => socketIdFromHeaders(new Headers({ 'x-socket-id': '1.2, 3.4' }))).toThrow(RealtimeError);
  });
});

describe('configuration errors are reported at creation', () => {
  it('missing pieces name what to pass', () => {
    const { realtime } = createApp();
    expect(() => createRealtimeHandlers({ realtime, channels, getUser: undefined as never, userFromToken: () => null })).toThrow(/getUser/);
    expect(() => createRealtimeHandlers({ realtime: undefined as never, channels, getUser, userFromToken: () => null })).toThrow(/createRealtime/);
    expect(() => createRealtimeHandlers({ realtime, channels, getUser, userFromToken: () => null, tokenSecrets: 'k:s', webhook: { onEvents() {}, secrets: 'nocolon' } })).toThrow(
      /webhook.secrets: entry 1/,
    );
    void realtime.close();
    void CREDENTIALS;
  });
});
