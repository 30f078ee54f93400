import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventMeta, RealtimeClient } from '../../src/client/index.js';
import { httpHistoryFetcher } from '../../src/client/historyRecovery.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeFetchHandler } from '../../src/next/fetchHandler.js';
import { createMemoryHistoryStore, withHistory, type HistoryRealtime, type HistoryStore } from '../../src/server/index.js';
import { createRedisHistoryStore } from '../../src/server/history/redisHistoryStore.js';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../support/redisFixture.js';
import { eventually, waitForState } from '../support/events.js';
import type { ContractEnvironment, ContractFixture } from './fixtures.js';

/**
 * The delivery contract of history channels (docs/delivery.md), the same on every provider:
 * ids and cursors, recovery after a reconnect (in order, once each, before newer live events),
 * gap reports, and a server-rendered snapshot handed to the client with no gap. The server is
 * withHistory() over the fixture's Realtime; clients recover through the real route handler.
 */
let counter = 0;
// Private channels are the contract app's (its policy signs `private-contract.{pid}.{n}`).
const unique = (prefix: string) => (prefix === 'private-hist' ? `private-contract.${process.pid}.h${++counter}` : `${prefix}.${process.pid}-${++counter}`);

interface Received {
  data: unknown;
  meta: EventMeta;
}

function inbox(client: RealtimeClient, channel: string, event = 'n') {
  const received: Received[] = [];
  const unsubscribe = client.subscribe(channel, event, (data, meta) => received.push({ data, meta }));
  return {
    received,
    unsubscribe,
    values: () => received.map((entry) => entry.data),
    async waitFor(count: number, timeoutMs = 10_000) {
      await eventually(() => expect(received.length).toBeGreaterThanOrEqual(count), timeoutMs);
      return received;
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

export function defineHistorySuite(fixture: ContractFixture): void {
  let env: ContractEnvironment;
  let realtime: HistoryRealtime;
  let store: HistoryStore;
  let redis: Redis | undefined;
  const prefix = `test:history-contract:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 6)}:`;
  const policy = defineChannels({
    'private-contract.{pid}.{n}': (user: { id: string }) => !user.id.startsWith('stranger'),
  });

  beforeAll(async () => {
    env = await fixture.setup();
    // The memory provider keeps history in memory; the others in Redis, as a deployment would.
    if (fixture.name === 'memory') store = createMemoryHistoryStore();
    else {
      redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
      store = createRedisHistoryStore({ client: redis, prefix });
    }
    realtime = withHistory(env.realtime, {
      channels: { 'hist.{id}': true, 'private-contract.{pid}.{n}': true, 'bounded.{id}': { maxEvents: 50 } },
      store,
    });
  });
  afterAll(async () => {
    await env?.teardown();
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });

  /**
   * A browser of the contract app whose history requests go to GET /history of route handlers
   * on the history realtime (in-process), as user `userId`.
   */
  const client = (userId = `user-${process.pid}-${++counter}`) => {
    const handler = createRealtimeFetchHandler({ realtime, channels: policy, getUser: (request) => ({ id: request.headers.get('x-user') ?? '' }) });
    return env.createClient(
      { id: userId },
      {
        fetchHistory: httpHistoryFetcher('http://app.test/api/realtime/history', async (url, init) => {
          const response = await handler(new Request(url, { ...init, headers: { 'x-user': userId } }));
          if (!response.ok) throw new Error(`history answered ${response.status}`);
          return response;
        }),
        historyChannels: ['hist.{id}', 'private-contract.{pid}.{n}', 'bounded.{id}'],
      },
    );
  };

  const publishRange = async (channel: string, from: number, to: number) => {
    for (const n of range(from, to)) await realtime.publish(channel, 'n', n);
  };

  it('history channels: handlers get the published value, with its id and cursor', async () => {
    const reader = client();
    const channel = unique('hist');
    const events = inbox(reader, channel);
    await reader.whenSubscribed(channel);
    await publishRange(channel, 1, 3);
    await events.waitFor(3);
    expect(events.values()).toEqual([1, 2, 3]);
    expect(events.received.map((entry) => entry.meta.cursor)).toEqual(['1', '2', '3']);
    expect(new Set(events.received.map((entry) => entry.meta.id)).size).toBe(3);
    expect(reader.cursor(channel)).toBe('3');
  });

  it('after a reconnect a client gets every event it missed, in order, once each, before newer live ones', async () => {
    const reader = client();
    const channel = unique('private-hist');
    const events = inbox(reader, channel);
    await reader.whenSubscribed(channel);
    await publishRange(channel, 1, 1);
    await events.waitFor(1);
    reader.disconnect();
    await publishRange(channel, 2, 201);
    const reconnected = reader.connect();
    // Live events keep coming while the client reconnects and recovers.
    const live = publishRange(channel, 202, 211);
    await reconnected;
    await live;
    await events.waitFor(211);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.values()).toEqual(range(1, 211));
    expect(new Set(events.received.map((entry) => entry.meta.id)).size).toBe(211);
  });

  it('a client that had received nothing before it went offline still recovers what it missed', async () => {
    const reader = client();
    const channel = unique('hist');
    const events = inbox(reader, channel);
    await reader.whenSubscribed(channel);
    await eventually(() => expect(reader.cursor(channel)).toBe('0'));
    reader.disconnect();
    await publishRange(channel, 1, 20);
    await reader.connect();
    await events.waitFor(20);
    expect(events.values()).toEqual(range(1, 20));
  });

  it('a bounded channel: a client offline for longer than the bound gets the last 50 and a gap report', async () => {
    const reader = client();
    const channel = unique('bounded');
    const events = inbox(reader, channel);
    const gaps: unknown[] = [];
    reader.on('history_gap', (gap) => gaps.push(gap));
    await reader.whenSubscribed(channel);
    await publishRange(channel, 1, 1);
    await events.waitFor(1);
    reader.disconnect();
    await publishRange(channel, 2, 201);
    await reader.connect();
    await events.waitFor(51);
    expect(events.values()).toEqual([1, ...range(152, 201)]);
    expect(gaps).toEqual([{ channel, after: '1', missed: 150, cursor: '201' }]);
  });

  it('a server render hands its cursor to the client: every later event arrives once, none missing', async () => {
    const channel = unique('hist');
    await publishRange(channel, 1, 30);
    const snapshot = await realtime.history(channel, { limit: 10 });
    expect(snapshot.events.map((event) => event.data)).toEqual(range(21, 30));
    expect(snapshot.cursor).toBe('30');
    // Events keep arriving between the render and the subscription, and during it.
    const publishing = publishRange(channel, 31, 60);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reader = client();
    reader.resumeFrom(channel, snapshot.cursor);
    const events = inbox(reader, channel);
    await publishing;
    await events.waitFor(30);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.values()).toEqual(range(31, 60));
  });

  it('a publish retried with the same id reaches a library client once', async () => {
    const reader = client();
    const channel = unique('hist');
    const events = inbox(reader, channel);
    await reader.whenSubscribed(channel);
    await realtime.publish(channel, 'n', 1, { id: 'order-42-paid' });
    await realtime.publish(channel, 'n', 1, { id: 'order-42-paid' });
    await realtime.publish(channel, 'n', 2);
    await events.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.values()).toEqual([1, 2]);
    expect((await realtime.history(channel, { after: '0' })).events.map((event) => event.data)).toEqual([1, 2]);
  });

  it('the sender left out of a live event is left out of its recovery too', async () => {
    const sender = client();
    const channel = unique('hist');
    const events = inbox(sender, channel);
    await sender.whenSubscribed(channel);
    await realtime.publish(channel, 'n', 1);
    await events.waitFor(1);
    await realtime.publish(channel, 'n', 2, { socketId: sender.socketId });
    await realtime.publish(channel, 'n', 3);
    await events.waitFor(2);
    sender.disconnect();
    await realtime.publish(channel, 'n', 4);
    await sender.connect();
    await events.waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events.values()).toEqual([1, 3, 4]);
    await waitForState(sender, 'connected');
  });
}
