import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeFetchHandler } from '../../src/next/fetchHandler.js';
import { createRealtime, withHistory } from '../../src/server/index.js';
import { createRedisHistoryStore } from '../../src/server/history/redisHistoryStore.js';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { pidIsAlive, portIsFree } from '../support/processes.js';
import { REDIS_URL } from '../support/redisFixture.js';
import { eventually, waitForState } from '../support/events.js';
import type { SignatureAuth } from '../../src/core/providerParts.js';

/**
 * Issue 12, point 6: Soketi is killed with SIGKILL (no goodbye to anyone) and started again on
 * the same port while 1,000 events are published to a history channel. Every accepted publish
 * must reach the library subscriber exactly once and in order after it reconnects; no rejected
 * publish may reach it.
 */
const prefix = `test:history-kill:${process.pid}:${Date.now().toString(36)}:`;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function killHard(soketi: SoketiProcess): Promise<void> {
  process.kill(soketi.pid!, 'SIGKILL');
  await soketi.exited;
  const deadline = Date.now() + 10_000;
  while (pidIsAlive(soketi.pid) || !(await portIsFree(soketi.port))) {
    if (Date.now() > deadline) throw new Error(`port ${soketi.port} still taken after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

it('Soketi kill -9 during 1,000 publishes: every accepted event received once, in order; no rejected one', async () => {
  let soketi = await startSoketi({ quiet: true });
  cleanup.push(() => soketi.stop());
  const base = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port });
  const deliveryFailures: unknown[] = [];
  const realtime = withHistory(base, {
    channels: { 'private-orders.{id}': true },
    store: createRedisHistoryStore({ client: redis, prefix }),
    retry: { attempts: 3, deadlineMs: 800 },
    onDeliveryError: (error) => deliveryFailures.push(error),
  });
  cleanup.push(() => realtime.close());
  const policy = defineChannels({ 'private-orders.{id}': (_user: { id: string }) => true });
  const handler = createRealtimeFetchHandler({ realtime, channels: policy, getUser: () => ({ id: 'reader' }) });
  const subscriber: RealtimeClient = createRealtimeClient({
    provider: 'soketi',
    key: soketi.key,
    host: soketi.host,
    port: soketi.port,
    reconnect: { baseMs: 100, capMs: 500 },
    authorizeChannel: async ({ socketId, channel }) => (realtime.auth as SignatureAuth).authorizeChannel(socketId, channel),
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => handler(new Request(new URL(String(input)), init))) as typeof fetch,
    historyEndpoint: 'http://app.test/api/realtime/history',
  });
  cleanup.push(() => subscriber.disconnect());

  const channel = `private-orders.${process.pid}`;
  const received: number[] = [];
  subscriber.subscribe<number>(channel, 'n', (n) => received.push(n));
  await subscriber.whenSubscribed(channel);

  const accepted = new Set<number>();
  const rejected = new Set<number>();
  const total = 1000;
  let restarted: Promise<void> | undefined;
  for (let n = 1; n <= total; n += 1) {
    if (n === 300) {
      // Killed mid-stream; back on the same port a moment later, while publishing goes on.
      await killHard(soketi);
      restarted = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        soketi = await startSoketi({ port: soketi.port, metricsPort: soketi.metricsPort, app: { appId: soketi.appId, key: soketi.key, secret: soketi.secret }, quiet: true });
      })();
    }
    try {
      await realtime.publish(channel, 'n', n);
      accepted.add(n);
    } catch {
      rejected.add(n);
    }
  }
  await restarted;
  await waitForState(subscriber, 'connected', 15_000);
  await eventually(() => expect(received.length).toBeGreaterThanOrEqual(accepted.size), 15_000);
  await new Promise((resolve) => setTimeout(resolve, 300));

  const seen = new Set<number>();
  let duplicates = 0;
  let outOfOrder = 0;
  received.forEach((n, index) => {
    if (seen.has(n)) duplicates += 1;
    seen.add(n);
    if (index > 0 && n <= received[index - 1]!) outOfOrder += 1;
  });
  const receivedRejected = [...rejected].filter((n) => seen.has(n)).length;
  console.log(
    `kill -9 scenario: published ${total}, accepted ${accepted.size}, rejected ${rejected.size}, received ${received.length}, ` +
      `duplicates ${duplicates}, out of order ${outOfOrder}, rejected-but-received ${receivedRejected}, live deliveries left to recovery ${deliveryFailures.length}`,
  );
  expect(received.length).toBe(accepted.size);
  expect(duplicates).toBe(0);
  expect(outOfOrder).toBe(0);
  expect(receivedRejected).toBe(0);
  expect([...seen].sort((a, b) => a - b)).toEqual([...accepted].sort((a, b) => a - b));
}, 120_000);
