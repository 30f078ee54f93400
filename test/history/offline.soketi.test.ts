import { afterAll, expect, it } from 'vitest';
import { createRealtimeClient, type HistoryGap, type RealtimeClient } from '../../src/client/index.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeFetchHandler } from '../../src/next/fetchHandler.js';
import { createMemoryHistoryStore, createRealtime, withHistory } from '../../src/server/index.js';
import { startSoketi } from '../../scripts/soketiProcess.mjs';
import { eventually } from '../support/events.js';
import PusherModule from 'pusher-js';
import type * as PusherCore from 'pusher-js/types/src/core/pusher.js';

type RawPusher = PusherCore.default;
const Pusher = ((PusherModule as { default?: unknown }).default ?? PusherModule) as unknown as new (key: string, options: object) => RawPusher;

/**
 * The reviewer's check of issue 12: a library client offline for 20 s while 200 events are
 * published gets all 200 after it reconnects, in order, once each; on a channel bounded to 50 it
 * gets the last 50 and a gap report. Real Soketi, real pusher-js under the library client.
 */
const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

it('offline for 20 s while 200 events are published: all 200 in order once each; bounded to 50: the last 50 and a gap', async () => {
  const soketi = await startSoketi({ quiet: true });
  cleanup.push(() => soketi.stop());
  const realtime = withHistory(
    createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port }),
    { channels: { 'room.{id}': true, 'ticker.{id}': { maxEvents: 50 } }, store: createMemoryHistoryStore() },
  );
  cleanup.push(() => realtime.close());
  const handler = createRealtimeFetchHandler({ realtime, channels: defineChannels<{ id: string }, never>({}), getUser: () => null });
  const client = (): RealtimeClient => {
    const created = createRealtimeClient({
      provider: 'soketi',
      key: soketi.key,
      host: soketi.host,
      port: soketi.port,
      tokenEndpoint: false,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => handler(new Request(new URL(String(input)), init))) as typeof fetch,
      historyEndpoint: 'http://app.test/api/realtime/history',
      historyChannels: ['room.{id}', 'ticker.{id}'],
    });
    cleanup.push(() => created.disconnect());
    return created;
  };
  const room = `room.${process.pid}`;
  const ticker = `ticker.${process.pid}`;
  const [full, bounded] = [client(), client()];
  const fullReceived: number[] = [];
  const boundedReceived: number[] = [];
  const gaps: HistoryGap[] = [];
  full.subscribe<number>(room, 'n', (n) => fullReceived.push(n));
  bounded.subscribe<number>(ticker, 'n', (n) => boundedReceived.push(n));
  bounded.on('history_gap', (gap) => gaps.push(gap));
  await Promise.all([full.whenSubscribed(room), bounded.whenSubscribed(ticker)]);
  // Both know where the channels stand (their head, asked at the first subscription).
  await eventually(() => expect([full.cursor(room), bounded.cursor(ticker)]).toEqual(['0', '0']));

  full.disconnect();
  bounded.disconnect();
  const offlineFrom = Date.now();
  for (let n = 1; n <= 200; n += 1) {
    await Promise.all([realtime.publish(room, 'n', n), realtime.publish(ticker, 'n', n)]);
    // A timer may fire a millisecond before Date.now() reaches its time: wait until it has.
    while (Date.now() < offlineFrom + n * 100) await new Promise((resolve) => setTimeout(resolve, offlineFrom + n * 100 - Date.now()));
  }
  expect(Date.now() - offlineFrom).toBeGreaterThanOrEqual(20_000);
  await Promise.all([full.connect(), bounded.connect()]);

  await eventually(() => expect(fullReceived).toHaveLength(200), 10_000);
  await eventually(() => expect(boundedReceived).toHaveLength(50), 10_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(fullReceived).toEqual(Array.from({ length: 200 }, (_, index) => index + 1));
  expect(boundedReceived).toEqual(Array.from({ length: 50 }, (_, index) => index + 151));
  expect(gaps).toEqual([{ channel: ticker, after: '0', missed: 150, cursor: '200' }]);
}, 60_000);

it('what raw pusher-js sees: the exact value on a plain channel, { "realtime:meta", data } on a history channel', async () => {
  const soketi = await startSoketi({ quiet: true });
  cleanup.push(() => soketi.stop());
  const realtime = withHistory(
    createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port }),
    { channels: { 'room.{id}': true }, store: createMemoryHistoryStore() },
  );
  cleanup.push(() => realtime.close());
  const raw = new Pusher(soketi.key, { wsHost: soketi.host, wsPort: soketi.port, forceTLS: false, enabledTransports: ['ws'], cluster: 'mt1' });
  cleanup.push(() => raw.disconnect());
  const seen: Array<[string, unknown]> = [];
  for (const name of ['plain.raw', 'room.raw']) {
    const channel = raw.subscribe(name);
    channel.bind('n', (data: unknown) => seen.push([name, data]));
    await new Promise<void>((resolve) => channel.bind('pusher:subscription_succeeded', () => resolve()));
  }
  await realtime.publish('plain.raw', 'n', { text: 'hi' });
  await realtime.publish('room.raw', 'n', { text: 'hi' }, { id: 'evt-1' });
  await eventually(() => expect(seen).toHaveLength(2));
  expect(seen).toEqual([
    ['plain.raw', { text: 'hi' }],
    ['room.raw', { 'realtime:meta': { id: 'evt-1', seq: 1 }, data: { text: 'hi' } }],
  ]);
});
