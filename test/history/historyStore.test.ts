import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryHistoryStore } from '../../src/server/history/memoryHistoryStore.js';
import { createRedisHistoryStore } from '../../src/server/history/redisHistoryStore.js';
import type { HistoryStore } from '../../src/server/history/historyStore.js';
import { REDIS_URL } from '../support/redisFixture.js';

/** The same behaviour from both stores: positions, bounds, gaps, idempotent appends. */
const prefix = `test:history:${process.pid}:${Date.now().toString(36)}:`;
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const stores: Array<[string, () => HistoryStore]> = [
  ['memory', () => createMemoryHistoryStore()],
  ['redis', () => createRedisHistoryStore({ client: redis, prefix })],
];
let counter = 0;
const bounds = { maxEvents: 5, maxAgeMs: 60_000 };
const append = (store: HistoryStore, channel: string, n: number, socketId?: string) =>
  store.append(channel, { id: `id-${channel}-${n}`, event: 'e', json: JSON.stringify({ n }), socketId }, bounds);

describe.each(stores)('history store: %s', (_name, make) => {
  it('numbers events 1, 2, 3 per channel and reads after a cursor, oldest first', async () => {
    const store = make();
    const channel = `ch${++counter}`;
    expect((await append(store, channel, 1)).seq).toBe(1);
    expect((await append(store, channel, 2)).seq).toBe(2);
    expect((await append(store, `${channel}-other`, 1)).seq).toBe(1);
    expect((await append(store, channel, 3)).seq).toBe(3);
    const page = await store.read(channel, { after: 1, limit: 10 }, bounds);
    expect(page.events.map((event) => [event.seq, event.data])).toEqual([[2, { n: 2 }], [3, { n: 3 }]]);
    expect(page).toMatchObject({ cursor: '3', more: false, history: true });
    expect(page.gap).toBeUndefined();
  });

  it('an id stored twice keeps its first position', async () => {
    const store = make();
    const channel = `ch${++counter}`;
    await append(store, channel, 1);
    expect(await append(store, channel, 1)).toEqual({ seq: 1, duplicate: true });
    expect((await append(store, channel, 2)).seq).toBe(2);
    expect((await store.read(channel, { after: 0, limit: 10 }, bounds)).events).toHaveLength(2);
  });

  it('keeps the newest maxEvents and reports what a cursor behind them missed', async () => {
    const store = make();
    const channel = `ch${++counter}`;
    for (let n = 1; n <= 8; n += 1) await append(store, channel, n);
    const page = await store.read(channel, { after: 1, limit: 10 }, bounds);
    expect(page.events.map((event) => event.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(page.gap).toEqual({ after: '1', missed: 2 });
    const newest = await store.read(channel, { limit: 3 }, bounds);
    expect(newest.events.map((event) => event.seq)).toEqual([6, 7, 8]);
    expect(newest.cursor).toBe('8');
    expect((await store.read(channel, { limit: 0 }, bounds)).cursor).toBe('8');
  });

  it('pages: `more` until the head, each page continuing at its cursor', async () => {
    const store = make();
    const channel = `ch${++counter}`;
    for (let n = 1; n <= 5; n += 1) await append(store, channel, n);
    const first = await store.read(channel, { after: 0, limit: 2 }, bounds);
    expect(first).toMatchObject({ cursor: '2', more: true });
    const second = await store.read(channel, { after: 2, limit: 3 }, bounds);
    expect(second.events.map((event) => event.seq)).toEqual([3, 4, 5]);
    expect(second.more).toBe(false);
  });

  it("skips the sender's own events but moves the cursor past them", async () => {
    const store = make();
    const channel = `ch${++counter}`;
    await append(store, channel, 1, '1.1');
    await append(store, channel, 2, '2.2');
    const page = await store.read(channel, { after: 0, limit: 10, excludeSocketIds: ['1.1'] }, bounds);
    expect(page.events.map((event) => event.seq)).toEqual([2]);
    expect(page.cursor).toBe('2');
    const own = await store.read(channel, { after: 1, limit: 10, excludeSocketIds: ['2.2'] }, bounds);
    expect(own).toMatchObject({ events: [], cursor: '2' });
  });

  it('drops events older than maxAge', async () => {
    const store = make();
    const channel = `ch${++counter}`;
    const short = { maxEvents: 100, maxAgeMs: 150 };
    await store.append(channel, { id: 'old', event: 'e', json: '1' }, short);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await store.append(channel, { id: 'new', event: 'e', json: '2' }, short);
    const page = await store.read(channel, { after: 0, limit: 10 }, short);
    expect(page.events.map((event) => event.id)).toEqual(['new']);
    expect(page.gap).toEqual({ after: '0', missed: 1 });
  });

  it('a cursor beyond the head (the store lost the channel) moves back to the head with an uncounted gap', async () => {
    const store = make();
    const channel = `ch${++counter}`;
    await append(store, channel, 1);
    expect(await store.read(channel, { after: 40, limit: 10 }, bounds)).toMatchObject({ events: [], cursor: '1', gap: { after: '40', missed: null } });
  });
});
