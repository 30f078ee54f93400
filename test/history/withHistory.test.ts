import { describe, expect, it } from 'vitest';
import { createRealtimeClient } from '../../src/client/index.js';
import { unwrapHistoryEvent } from '../../src/core/history.js';
import { RealtimeError } from '../../src/index.js';
import { createMemoryHistoryStore, createRealtime, withEvents, withHistory, type HistoryStore } from '../../src/server/index.js';
import { defineEvents } from '../../src/index.js';
import { z } from 'zod';

/** The publish path of history channels: validated, stored, then sent; "accepted" means stored. */
let counter = 0;
function setup(store: HistoryStore = createMemoryHistoryStore()) {
  const hub = `with-history-${process.pid}-${++counter}`;
  const base = createRealtime({ provider: 'memory', hub });
  const deliveryErrors: unknown[] = [];
  const realtime = withHistory(base, {
    channels: { 'feed.{id}': { maxEvents: 10 } },
    store,
    retry: { attempts: 2, baseMs: 1, capMs: 1 },
    onDeliveryError: (error) => deliveryErrors.push(error),
  });
  // A raw transport view: what every subscriber gets on the wire.
  const raw = createRealtimeClient({ provider: 'memory', hub, historyEndpoint: false, tokenEndpoint: false });
  return { base, realtime, raw, deliveryErrors };
}

describe('withHistory', () => {
  it('bad input is refused before anything is stored', async () => {
    const { realtime } = setup();
    await expect(realtime.publish('feed.1', 'n', 'x'.repeat(20_000))).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(realtime.publish('feed.1', 'pusher:bad', 1)).rejects.toMatchObject({ code: 'invalid_event' });
    await expect(realtime.publish('feed.1', 'n', 1, { id: 'has space' })).rejects.toMatchObject({ code: 'invalid_event' });
    expect((await realtime.history('feed.1', { after: '0' })).events).toEqual([]);
    expect(() => withHistory(realtime, { channels: { 'private-encrypted-x.{id}': true } })).toThrow(RealtimeError);
    await expect(realtime.history('plain.1')).rejects.toMatchObject({ code: 'invalid_channel' });
  });

  it('a store that fails rejects the publish and nothing is sent live', async () => {
    const failing: HistoryStore = {
      kind: 'memory',
      append: async () => {
        throw new RealtimeError('provider_unavailable', 'redis down');
      },
      read: async () => {
        throw new RealtimeError('provider_unavailable', 'redis down');
      },
      close: async () => {},
    };
    const { realtime, raw } = setup(failing);
    const seen: unknown[] = [];
    raw.subscribe('feed.2', 'n', (data) => seen.push(data));
    await raw.whenSubscribed('feed.2');
    await expect(realtime.publish('feed.2', 'n', 1)).rejects.toMatchObject({ code: 'provider_unavailable', retryable: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([]);
  });

  it('stored but not deliverable live: accepted (resolves), reported, and in history for recovery', async () => {
    const { realtime, base, deliveryErrors } = setup();
    const provider = await base.getProvider();
    const original = provider.publish.bind(provider);
    provider.publish = async () => {
      throw new RealtimeError('provider_unavailable', 'soketi down', { retryable: true });
    };
    await expect(realtime.publish('feed.3', 'n', 1)).resolves.toBeUndefined();
    provider.publish = original;
    expect(deliveryErrors).toHaveLength(1);
    expect((await realtime.history('feed.3', { after: '0' })).events.map((event) => event.data)).toEqual([1]);
  });

  it('wraps history events only; plain channels of the same call and batch get the exact value', async () => {
    const { realtime, raw } = setup();
    const wire: Array<[string, unknown]> = [];
    for (const channel of ['feed.4', 'plain.4']) raw.subscribeAll(channel, (_event, data) => wire.push([channel, data]));
    await Promise.all([raw.whenSubscribed('feed.4'), raw.whenSubscribed('plain.4')]);
    await realtime.publish(['feed.4', 'plain.4'], 'n', { v: 1 });
    await realtime.publishBatch([
      { channel: 'plain.4', event: 'n', data: 'two' },
      { channel: 'feed.4', event: 'n', data: 'two' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The raw view (recovery off) still unwraps: the library client always hands on the value.
    expect(wire.filter(([channel]) => channel === 'plain.4').map(([, data]) => data)).toEqual([{ v: 1 }, 'two']);
    expect(wire.filter(([channel]) => channel === 'feed.4').map(([, data]) => data)).toEqual([{ v: 1 }, 'two']);
    const stored = await realtime.history('feed.4', { after: '0' });
    expect(stored.events.map((event) => [event.seq, event.data])).toEqual([[1, { v: 1 }], [2, 'two']]);
  });

  it('composes with withEvents: typed publishes are stored, history() stays reachable', async () => {
    const { realtime } = setup();
    const typed = withEvents(realtime, defineEvents({ n: z.number() }));
    await typed.publish('feed.5', 'n', 5);
    await expect(typed.publish('feed.5', 'n', 'five' as unknown as number)).rejects.toMatchObject({ code: 'invalid_payload' });
    expect((await typed.history!('feed.5', { limit: 5 })).events.map((event) => event.data)).toEqual([5]);
  });

  it('the envelope is what core/history.ts says', () => {
    expect(unwrapHistoryEvent({ 'realtime:meta': { id: 'a', seq: 3 }, data: [1] })).toEqual({ meta: { id: 'a', seq: 3 }, data: [1] });
    expect(unwrapHistoryEvent({ meta: { id: 'a', seq: 3 }, data: [1] })).toBeUndefined();
    expect(unwrapHistoryEvent('text')).toBeUndefined();
  });
});
