import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cryptoBackends, hmacSha256Hex } from '../../src/core/crypto.js';

describe('signature backends', () => {
  it('uses node:crypto on Node.js and Web Crypto elsewhere, with identical output', async () => {
    expect(cryptoBackends.node).toBeDefined();
    const cases: Array<[string, string]> = [
      ['app-secret', '123.456:private-orders.42'],
      ['sécret✓', 'presence-room.1:{"user_id":"ü"}'],
    ];
    for (const [secret, message] of cases) {
      const expected = createHmac('sha256', secret).update(message).digest('hex');
      const data = new TextEncoder().encode(message);
      expect(await cryptoBackends.web.hmacSha256Hex(secret, data)).toBe(expected);
      expect(await cryptoBackends.node!.hmacSha256Hex(secret, data)).toBe(expected);
      expect(await hmacSha256Hex(secret, message)).toBe(expected);
      expect(await cryptoBackends.web.hmacSha256(secret, data)).toEqual(await cryptoBackends.node!.hmacSha256(secret, data));
    }
    const blob = new Uint8Array([1, 2, 3, 250]);
    expect(await cryptoBackends.web.sha256(blob)).toEqual(await cryptoBackends.node!.sha256(blob));
  });
});
