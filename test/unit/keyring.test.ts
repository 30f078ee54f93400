import { describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/core/crypto.js';
import { isRealtimeError } from '../../src/core/errors.js';
import { keyringFromAblyKeys, parseKeyring, verifyHmacSha256Hex, withSigningKey, withoutKeys } from '../../src/core/keyring.js';
import { signRealtimeToken, verifyRealtimeToken } from '../../src/core/realtimeToken.js';
import { createMemoryStore } from '../../src/server/state/memoryStore.js';
import { createRotatingKeyring } from '../../src/server/rotation/rotatingKeyring.js';

const ring = parseKeyring('old:old-secret,new:new-secret');

describe('keyring rotation steps', () => {
  it('withSigningKey makes another key sign while every key still verifies', () => {
    const rotated = withSigningKey(ring, 'new');
    expect(rotated.current.kid).toBe('new');
    expect(rotated.entries.map((entry) => entry.kid)).toEqual(['new', 'old']);
    expect(rotated.find('old')?.secret).toBe('old-secret');
    expect(() => withSigningKey(ring, 'missing')).toThrow(/not in the keyring/);
  });

  it('withoutKeys retires keys, but never the one that signs', () => {
    expect(withoutKeys(withSigningKey(ring, 'new'), ['old']).entries.map((entry) => entry.kid)).toEqual(['new']);
    expect(() => withoutKeys(ring, ['old'])).toThrow(/signs/);
  });

  it('tokens signed before a rotation verify during it and not after the old key is retired', async () => {
    const before = await signRealtimeToken(ring, 'u1');
    const during = withSigningKey(ring, 'new');
    const after = withoutKeys(during, ['old']);
    expect((await verifyRealtimeToken(during, before.token)).kid).toBe('old');
    expect((await signRealtimeToken(during, 'u1')).kid).toBe('new');
    await expect(verifyRealtimeToken(after, before.token)).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_token'));
  });
});

describe('Ably API keys as a keyring', () => {
  it('uses the key name as kid, the first key signs', () => {
    const keys = keyringFromAblyKeys(['app.new:s3cret:with:colons', 'app.old:older']);
    expect(keys.current).toEqual({ kid: 'app.new', secret: 's3cret:with:colons' });
    expect(keys.find('app.old')?.secret).toBe('older');
  });

  it('names the bad key by position, never its secret', () => {
    try {
      keyringFromAblyKeys(['app.ok:fine', 'no-dot-here:topsecret']);
      expect.unreachable();
    } catch (error) {
      expect(isRealtimeError(error, 'invalid_config')).toBe(true);
      expect((error as Error).message).toContain('key 2');
      expect((error as Error).message).not.toContain('topsecret');
    }
  });
});

describe('webhook signatures during a secret migration', () => {
  const body = '{"time_ms":1,"events":[]}';
  it('accepts a signature from the old and from the new secret, and says which matched', async () => {
    const webhookKeys = parseKeyring('new:new-webhook-secret,old:old-webhook-secret');
    expect((await verifyHmacSha256Hex(webhookKeys, body, await hmacSha256Hex('old-webhook-secret', body)))?.kid).toBe('old');
    expect((await verifyHmacSha256Hex(webhookKeys, body, (await hmacSha256Hex('new-webhook-secret', body)).toUpperCase()))?.kid).toBe('new');
  });

  it('rejects a signature from any other secret, of another body, or truncated', async () => {
    const webhookKeys = parseKeyring('new:new-webhook-secret,old:old-webhook-secret');
    const good = await hmacSha256Hex('old-webhook-secret', body);
    expect(await verifyHmacSha256Hex(webhookKeys, body, await hmacSha256Hex('someone-else', body))).toBeUndefined();
    expect(await verifyHmacSha256Hex(webhookKeys, `${body} `, good)).toBeUndefined();
    expect(await verifyHmacSha256Hex(webhookKeys, body, good.slice(0, -2))).toBeUndefined();
    expect(await verifyHmacSha256Hex(webhookKeys, body, '')).toBeUndefined();
  });
});

describe('rotating keyring (shared state applied to the configured keys)', () => {
  it('follows the store: the rotation key signs, retired keys verify nothing', async () => {
    const store = createMemoryStore();
    const keyring = createRotatingKeyring({ keyring: ring, store, refreshMs: 60_000 });
    try {
      await keyring.refresh();
      expect(keyring.current.kid).toBe('old');
      await store.beginRotation({ id: 'r1', toKid: 'new', fromKids: ['old'], startedAt: 0, deadline: 0, phase: 'announced' });
      // Cached until refreshed (or the refresh interval passes).
      expect(keyring.current.kid).toBe('old');
      await keyring.refresh();
      expect(keyring.current.kid).toBe('new');
      expect(keyring.find('old')).toBeDefined();
      await store.completeRotation('r1', 1, 0);
      await keyring.refresh();
      expect(keyring.find('old')).toBeUndefined();
      expect(keyring.entries.map((entry) => entry.kid)).toEqual(['new']);
      expect(keyring.configured.find('old')).toBeDefined();
    } finally {
      keyring.dispose();
    }
  });

  it('ignores state naming keys this deploy does not have', async () => {
    const store = createMemoryStore();
    await store.beginRotation({ id: 'r1', toKid: 'elsewhere', fromKids: ['old'], startedAt: 0, deadline: 0, phase: 'announced' });
    const keyring = createRotatingKeyring({ keyring: ring, store });
    try {
      await keyring.refresh();
      expect(keyring.current.kid).toBe('old');
    } finally {
      keyring.dispose();
    }
  });
});
