import { afterAll, expect, it } from 'vitest';
import { createRealtimeClient } from '../../src/client/index.js';
import { defineChannels, isRealtimeError } from '../../src/index.js';
import { createRealtimeFetchHandler } from '../../src/next/fetchHandler.js';
import { createHistoryStore, createRealtime, withHistory } from '../../src/server/index.js';
import { getMemoryHub } from '../../src/testing/index.js';
import { eventually } from '../support/events.js';
import { startOwnRedis } from '../support/redisServer.js';

/**
 * Issue 12, point 6: the history store's Redis stops in the middle of a stream of publishes and
 * starts again. Documented behaviour (docs/delivery.md): a publish to a history channel rejects
 * with provider_unavailable while Redis is away and is not sent live; nothing crashes; once
 * Redis is back, publishing, history reads and recovery work again.
 */
const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

it('Redis stopped mid-stream and started again: rejected publishes are never delivered, the rest are, once each', async () => {
  const redis = await startOwnRedis();
  cleanup.push(() => redis.close());
  const hub = `history-redis-${process.pid}`;
  const realtime = withHistory(createRealtime({ provider: 'memory', hub }), {
    channels: { 'feed.{id}': true },
    store: createHistoryStore({ redisUrl: redis.url, prefix: 'fault:' }),
  });
  cleanup.push(async () => {
    await realtime.close();
    getMemoryHub(hub).reset();
  });
  const handler = createRealtimeFetchHandler({ realtime, channels: defineChannels<{ id: string }, never>({}), getUser: () => null });
  const client = createRealtimeClient({
    provider: 'memory',
    hub,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => handler(new Request(new URL(String(input)), init))) as typeof fetch,
    historyEndpoint: 'http://app.test/api/realtime/history',
    tokenEndpoint: false,
  });
  cleanup.push(() => client.disconnect());
  const channel = `feed.${process.pid}`;
  const received: number[] = [];
  client.subscribe<number>(channel, 'n', (n) => received.push(n));
  await client.whenSubscribed(channel);

  const accepted: number[] = [];
  const rejectedCodes = new Map<number, string>();
  const publish = async (n: number) => {
    try {
      await realtime.publish(channel, 'n', n);
      accepted.push(n);
    } catch (error) {
      rejectedCodes.set(n, isRealtimeError(error) ? error.code : String(error));
    }
  };
  for (let n = 1; n <= 50; n += 1) await publish(n);
  // The subscriber goes away while Redis is down and comes back after it returned.
  client.disconnect();
  await redis.stop();
  const started = Date.now();
  let n = 51;
  while (Date.now() - started < 1500) await publish(n++);
  await redis.start();
  for (const last = n + 50; n < last; n += 1) await publish(n);
  await client.connect();
  for (const last = n + 20; n < last; n += 1) await publish(n);

  await eventually(() => expect(received.length).toBe(accepted.length), 15_000);
  const rejected = [...rejectedCodes.keys()];
  console.log(
    `Redis stop/start: published ${n - 1}, accepted ${accepted.length}, rejected ${rejected.length} (codes: ${[...new Set(rejectedCodes.values())].join(', ')}), received ${received.length}`,
  );
  expect(rejected.length).toBeGreaterThan(0);
  expect(new Set(rejectedCodes.values())).toEqual(new Set(['provider_unavailable']));
  expect(received).toEqual(accepted);
  // What was stored before the stop survived it (append-only file), and the store works again.
  const page = await realtime.history(channel, { after: '0', limit: 1000 });
  expect(page.events.map((event) => event.data)).toEqual(accepted);
}, 60_000);
