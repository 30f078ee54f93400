import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { isRealtimeError } from '../../src/index.js';
import { createRealtime } from '../../src/server/index.js';

/**
 * Soketi answers API errors with HTTP 200 and `{"error": ..., "code": 4xx}` in the body; the
 * official SDK resolves on those. The library must still reject, with the provider's message.
 */
describe('soketi: errors inside HTTP 200 bodies', () => {
  let soketi: SoketiProcess;
  beforeAll(async () => {
    // Soketi accepts 1 KB events; the library is told 100 KB, so Soketi is the one to refuse.
    soketi = await startSoketi({ quiet: true, env: { SOKETI_EVENT_MAX_SIZE_IN_KB: '1' } });
  });
  afterAll(async () => {
    await soketi?.stop();
  });

  it('a wrong secret rejects with provider_rejected and Soketi’s reason', async () => {
    const realtime = createRealtime({
      provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: 'wrong-secret', host: soketi.host, port: soketi.port,
    });
    const error = await realtime.publish('orders', 'created', { id: 1 }).catch((failure: unknown) => failure);
    expect(isRealtimeError(error, 'provider_rejected')).toBe(true);
    expect((error as Error).message).toMatch(/401.*secret authentication failed/i);
    expect((error as { retryable: boolean }).retryable).toBe(false);
    expect((error as Error).message).not.toContain('wrong-secret');
    await realtime.close();
  });

  it('a payload Soketi refuses rejects with payload_too_large even though HTTP said 200', async () => {
    const realtime = createRealtime({
      provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port,
      maxPayloadBytes: 100 * 1024,
    });
    const error = await realtime.publish('orders', 'created', 'x'.repeat(2048)).catch((failure: unknown) => failure);
    expect(isRealtimeError(error, 'payload_too_large')).toBe(true);
    expect((error as { provider: string }).provider).toBe('soketi');
    await realtime.close();
  });

  it('an unknown app id rejects instead of resolving', async () => {
    const realtime = createRealtime({
      provider: 'soketi', appId: 'no-such-app', key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port,
    });
    const error = await realtime.publish('orders', 'created', 1).catch((failure: unknown) => failure);
    expect(isRealtimeError(error)).toBe(true);
    expect((error as { code: string }).code).toMatch(/provider_rejected/);
    await realtime.close();
  });

  it('a server that is not listening rejects with a retryable provider_unavailable', async () => {
    const realtime = createRealtime({
      provider: 'soketi', appId: 'a', key: 'k', secret: 's', host: '127.0.0.1', port: 1,
    });
    const error = await realtime.publish('orders', 'created', 1).catch((failure: unknown) => failure);
    expect(isRealtimeError(error, 'provider_unavailable')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(true);
    await realtime.close();
  });
});
