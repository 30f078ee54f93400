import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../src/core/errors.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { startAblyStandIn, type AblyStandIn } from '../support/ably/standIn.js';

/**
 * On Ably, concurrent publishes share one batch publish request, and Ably answers per channel:
 * an event Ably refuses fails alone, the others are delivered once (no retry, so no duplicate).
 */
describe('ably: auto-batched publishing', () => {
  let standIn: AblyStandIn;
  let realtime: Realtime;
  beforeAll(async () => {
    // Ably accepts 1 KiB messages while the library is told 64 KiB: Ably is the one to refuse.
    standIn = await startAblyStandIn({ keys: ['standin.batch:the-batch-secret'], maxMessageSize: 1024 });
    realtime = createRealtime({ provider: 'ably', apiKeys: ['standin.batch:the-batch-secret'], endpoint: 'localhost', port: standIn.port, tls: false });
  });
  afterAll(async () => {
    await realtime?.close();
    await standIn?.close();
  });

  const batchRequests = () => standIn.requests.filter((request) => request.method === 'POST' && request.path === '/messages').length;

  it('one request for concurrent publishes; a refused event fails alone and the rest are delivered once', async () => {
    const before = batchRequests();
    const results = await Promise.allSettled([
      realtime.publish('batch.a', 'message', 'first'),
      realtime.publish('batch.b', 'message', 'x'.repeat(2048)),
      realtime.publish('batch.c', 'message', 'third'),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = (results[1] as PromiseRejectedResult).reason;
    expect(isRealtimeError(error)).toBe(true);
    expect((error as Error).message).toMatch(/batch\.b/);
    expect(batchRequests() - before).toBe(1);
    const delivered = standIn.published.filter((entry) => entry.channel.startsWith('batch.')).map((entry) => entry.channel);
    expect(delivered).toEqual(['batch.a', 'batch.c']);
  });
});
