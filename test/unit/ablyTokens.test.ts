import { createHmac } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../src/core/errors.js';
import { capabilityForGrants, toAblyChannel } from '../../src/providers/ably/channels.js';
import { createAblyAuth } from '../../src/providers/ably/auth.js';
import { ablyKeyring, createAblyJwt, createAblyTokenRequest, verifyAblyJwt } from '../../src/providers/ably/tokens.js';
import { parseConfig } from '../../src/server/config.js';
import type { AblyConfig } from '../../src/providers/ably/config.js';

const KEY = 'appA.keyOne:first-secret-value';
const OLD_KEY = 'appA.keyOld:old-secret-value';
const secretOf = (key: string) => new TextEncoder().encode(key.slice(key.indexOf(':') + 1));

function server(apiKeys = [KEY]) {
  // No request is made by token issuance: the provider's auth part only signs.
  return createAblyAuth(parseConfig({ provider: 'ably', apiKeys }) as AblyConfig);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('Ably JWTs from issueClientToken', () => {
  it('verify with the key secret (jose jwtVerify), name the key, carry the clientId and exactly the allowed channels', async () => {
    const provider = server();
    const grants = [
      { channel: 'orders.7' },
      { channel: 'private-orders.42' },
      { channel: 'presence-room.1', member: { id: 'user-9', info: { name: 'Nine' } } },
    ];
    const before = Math.floor(Date.now() / 1000);
    const { token, expiresAt } = await provider.issueClientToken({ userId: 'user-9', grants, ttlSeconds: 300 });

    const { payload, protectedHeader } = await jwtVerify(token, secretOf(KEY), { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'appA.keyOne' });
    expect(payload['x-ably-clientId']).toBe('user-9');
    expect(typeof payload['x-ably-capability']).toBe('string');
    expect(JSON.parse(payload['x-ably-capability'] as string)).toEqual({
      'orders.7': ['subscribe'],
      'private-orders.42': ['publish', 'subscribe'],
      'presence-room.1': ['presence', 'publish', 'subscribe'],
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(expiresAt).toBe(payload.exp! * 1000);
    // The member info the app's policy chose travels to the transport, which enters presence with it.
    expect(payload['x-realtime-presence']).toEqual({ 'presence-room.1': { name: 'Nine' } });
  });

  it('does not verify with another secret', async () => {
    const { token } = await server().issueClientToken({ userId: 'u', grants: [{ channel: 'a' }], ttlSeconds: 60 });
    await expect(jwtVerify(token, new TextEncoder().encode('another-secret'))).rejects.toThrow(/signature/);
  });

  it('grants nothing for no grants, and never a wildcard', async () => {
    const { token } = await server().issueClientToken({ userId: 'u', grants: [], ttlSeconds: 60 });
    const { payload } = await jwtVerify(token, secretOf(KEY));
    expect(JSON.parse(payload['x-ably-capability'] as string)).toEqual({});
    // Names that Ably would read as a wildcard or a namespace never pass the canonical name rule.
    for (const channel of ['*', 'private-*', 'private:*', 'orders:*', '[?rewind=1]orders']) {
      const error = await rejection(server().issueClientToken({ userId: 'u', grants: [{ channel }], ttlSeconds: 60 }));
      expect(isRealtimeError(error, 'invalid_channel'), channel).toBe(true);
    }
  });

  it('refuses what Ably cannot carry faithfully: encrypted channels, a presence member that is not the user, bad ttl', async () => {
    const provider = server();
    expect(isRealtimeError(await rejection(provider.issueClientToken({ userId: 'u', grants: [{ channel: 'private-encrypted-inbox.1' }], ttlSeconds: 60 })), 'not_supported')).toBe(true);
    expect(
      isRealtimeError(
        await rejection(provider.issueClientToken({ userId: 'u', grants: [{ channel: 'presence-r', member: { id: 'someone-else' } }], ttlSeconds: 60 })),
        'invalid_payload',
      ),
    ).toBe(true);
    expect(isRealtimeError(await rejection(provider.issueClientToken({ userId: 'u', grants: [], ttlSeconds: 0 })), 'invalid_payload')).toBe(true);
    expect(isRealtimeError(await rejection(provider.issueClientToken({ userId: '', grants: [], ttlSeconds: 60 })), 'invalid_payload')).toBe(true);
  });

  it('keyring: the first key signs, tokens of every key still verify, a removed key does not', async () => {
    const rotated = ablyKeyring([KEY, OLD_KEY]);
    const { token: fresh } = await server([KEY, OLD_KEY]).issueClientToken({ userId: 'u', grants: [], ttlSeconds: 60 });
    expect(decodeProtectedHeader(fresh).kid).toBe('appA.keyOne');
    const { token: old } = await server([OLD_KEY]).issueClientToken({ userId: 'u', grants: [], ttlSeconds: 60 });
    expect((await verifyAblyJwt(rotated, fresh)).kid).toBe('appA.keyOne');
    expect((await verifyAblyJwt(rotated, old)).kid).toBe('appA.keyOld');
    expect(isRealtimeError(await rejection(verifyAblyJwt(ablyKeyring([KEY]), old)), 'invalid_token')).toBe(true);
    const tampered = `${fresh.slice(0, -4)}AAAA`;
    expect(isRealtimeError(await rejection(verifyAblyJwt(rotated, tampered)), 'invalid_token')).toBe(true);
    const expired = await createAblyJwt(rotated.current, { clientId: 'u', capability: {}, ttlSeconds: 1, issuedAt: Math.floor(Date.now() / 1000) - 10 });
    expect(isRealtimeError(await rejection(verifyAblyJwt(rotated, expired.token)), 'token_expired')).toBe(true);
  });
});

describe('Ably TokenRequest', () => {
  it('mac is base64 HMAC-SHA256(secret, keyName\\nttl\\ncapability\\nclientId\\ntimestamp\\nnonce\\n)', async () => {
    const request = await server().createTokenRequest({ userId: 'user-1', grants: [{ channel: 'private-a' }], ttlSeconds: 120 });
    expect(request).toMatchObject({ keyName: 'appA.keyOne', ttl: 120_000, clientId: 'user-1', capability: '{"private-a":["publish","subscribe"]}' });
    const text = `${request.keyName}\n${request.ttl}\n${request.capability}\n${request.clientId}\n${request.timestamp}\n${request.nonce}\n`;
    expect(request.mac).toBe(createHmac('sha256', 'first-secret-value').update(text).digest('base64'));
    expect(request.nonce).toMatch(/^[0-9a-f]{32}$/);
    const again = await createAblyTokenRequest(ablyKeyring([KEY]).current, { clientId: 'user-1', capability: {}, ttlSeconds: 120 });
    expect(again.nonce).not.toBe(request.nonce);
  });
});

describe('channel names on Ably', () => {
  it('are the canonical names unchanged (identity mapping)', () => {
    for (const name of ['orders.42', 'private-orders.42', 'presence-room.1', 'a_b-c=d@e,f.g;h']) expect(toAblyChannel(name)).toBe(name);
  });

  it('give each kind its operations and nothing for channels not granted', () => {
    const { capability } = capabilityForGrants('u', [{ channel: 'b' }, { channel: 'private-a' }]);
    expect(Object.keys(capability)).toEqual(['b', 'private-a']);
    expect(capability['presence-a']).toBeUndefined();
  });
});
