import { afterEach, describe, expect, it, vi } from 'vitest';
import { RealtimeError, isRealtimeError } from '../../src/index.js';
import type { OutgoingEvent, ServerProvider } from '../../src/core/provider.js';
import { DEFAULT_LIMITS } from '../../src/registry/limits.js';
import { getMemoryHub } from '../../src/providers/memory/hub.js';
import { createPublishBatcher } from '../../src/server/publishBatcher.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';

const opened: Realtime[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((realtime) => realtime.close()));
  vi.restoreAllMocks();
});

function memoryRealtime(options?: Parameters<typeof createRealtime>[1]) {
  const hub = `batching-${crypto.randomUUID()}`;
  const realtime = createRealtime({ provider: 'memory', hub }, options);
  opened.push(realtime);
  return { realtime, hub: getMemoryHub(hub) };
}

const event = (channel: string | string[], data: unknown = 1): OutgoingEvent => {
  const channels = typeof channel === 'string' ? [channel] : channel;
  return { channels, event: 'e', data, json: JSON.stringify(data) };
};

/** A provider that records each request and lets the test decide when and how it answers. */
function recordingProvider(answer: (kind: 'publish' | 'batch', events: readonly OutgoingEvent[]) => Promise<void> = async () => undefined) {
  const requests: Array<{ kind: 'publish' | 'batch'; events: readonly OutgoingEvent[] }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const delivered: OutgoingEvent[] = [];
  const run = async (kind: 'publish' | 'batch', events: readonly OutgoingEvent[]) => {
    requests.push({ kind, events });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await answer(kind, events);
      delivered.push(...events);
    } finally {
      inFlight--;
    }
  };
  const provider: Pick<ServerProvider, 'name' | 'limits' | 'publish' | 'publishBatch' | 'publishEach'> = {
    name: 'soketi',
    limits: DEFAULT_LIMITS.soketi,
    publish: (one) => run('publish', [one]),
    publishBatch: (events) => run('batch', events),
  };
  return { provider, requests, delivered, maxInFlight: () => maxInFlight };
}

const randomDelay = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 5));

describe('publish batching (through createRealtime, memory provider)', () => {
  it('coalesces concurrent publishes into batches of at most 10, delivered in call order', async () => {
    const { realtime, hub } = memoryRealtime();
    const provider = await realtime.getProvider();
    const batch = vi.spyOn(provider, 'publishBatch');
    const single = vi.spyOn(provider, 'publish');
    await Promise.all(Array.from({ length: 25 }, (_, i) => realtime.publish(`room.${i % 3}`, 'message', { i })));
    expect(batch.mock.calls.map(([events]) => events.length)).toEqual([10, 10, 5]);
    expect(single).not.toHaveBeenCalled();
    expect(hub.published.map((published) => (published.data as { i: number }).i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('sends a lone publish, and awaited publishes one after another, as single requests', async () => {
    const { realtime, hub } = memoryRealtime();
    const provider = await realtime.getProvider();
    const batch = vi.spyOn(provider, 'publishBatch');
    const single = vi.spyOn(provider, 'publish');
    for (let i = 0; i < 3; i++) await realtime.publish('room', 'message', i);
    expect(single).toHaveBeenCalledTimes(3);
    expect(batch).not.toHaveBeenCalled();
    expect(hub.published.map((published) => published.data)).toEqual([0, 1, 2]);
  });

  it('rejects an invalid publish before anything is sent, and its neighbours still go out', async () => {
    const { realtime, hub } = memoryRealtime();
    const results = await Promise.allSettled([
      realtime.publish('room', 'message', 'a'),
      realtime.publish('bad channel!', 'message', 'b'),
      realtime.publish('room', 'message', 'x'.repeat(20_000)),
      realtime.publish('room', 'message', 'c'),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(isRealtimeError((results[1] as PromiseRejectedResult).reason, 'invalid_channel')).toBe(true);
    expect(isRealtimeError((results[2] as PromiseRejectedResult).reason, 'payload_too_large')).toBe(true);
    expect(hub.published.map((published) => published.data)).toEqual(['a', 'c']);
  });

  it('batching: false sends one request per publish', async () => {
    const { realtime } = memoryRealtime({ batching: false });
    const provider = await realtime.getProvider();
    const batch = vi.spyOn(provider, 'publishBatch');
    const single = vi.spyOn(provider, 'publish');
    await Promise.all(Array.from({ length: 12 }, (_, i) => realtime.publish('room', 'message', i)));
    expect(single).toHaveBeenCalledTimes(12);
    expect(batch).not.toHaveBeenCalled();
  });

  it('a window gathers publishes issued a few milliseconds apart into one batch', async () => {
    const { realtime } = memoryRealtime({ batching: { windowMs: 15 } });
    const provider = await realtime.getProvider();
    const batch = vi.spyOn(provider, 'publishBatch');
    const first = realtime.publish('room', 'message', 1);
    await new Promise((resolve) => setTimeout(resolve, 3));
    const second = realtime.publish('room', 'message', 2);
    await Promise.all([first, second]);
    expect(batch.mock.calls.map(([events]) => events.map((one) => one.data))).toEqual([[1, 2]]);
  });

  it('refuses a window longer than a few milliseconds with invalid_config', () => {
    expect(() => createRealtime({ provider: 'memory' }, { batching: { windowMs: 500 } })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
    expect(() => createRealtime({ provider: 'memory' }, { batching: { maxInFlight: 0 } })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
  });

  it('close() waits for publishes still queued', async () => {
    const { realtime, hub } = memoryRealtime({ batching: { windowMs: 10 } });
    await realtime.getProvider();
    const publishing = realtime.publish('room', 'message', 'late');
    await realtime.close();
    await publishing;
    expect(hub.published.map((published) => published.data)).toEqual(['late']);
  });
});

describe('publish batcher: outcomes and order', () => {
  it('a batch refused for one event is retried event by event: only that event fails', async () => {
    const fake = recordingProvider(async (kind, events) => {
      if (events.some((one) => one.data === 'too big')) {
        throw new RealtimeError('payload_too_large', 'soketi rejected the request with 413', { provider: 'soketi', status: 413 });
      }
    });
    const batcher = createPublishBatcher(fake.provider);
    const results = await Promise.allSettled(['a', 'b', 'too big', 'c'].map((data) => batcher.publish(event('room', data))));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(isRealtimeError((results[2] as PromiseRejectedResult).reason, 'payload_too_large')).toBe(true);
    expect(fake.requests.map((request) => request.kind)).toEqual(['batch', 'publish', 'publish', 'publish', 'publish']);
    expect(fake.delivered.map((one) => one.data)).toEqual(['a', 'b', 'c']);
  });

  it('a refusal that concerns the whole request (rate limit, network) reaches every caller and is not retried', async () => {
    for (const failure of [
      new RealtimeError('rate_limited', 'soketi rejected the request with 429', { provider: 'soketi', status: 429 }),
      new RealtimeError('provider_unavailable', 'soketi could not be reached', { provider: 'soketi', retryable: true }),
      new RealtimeError('provider_rejected', 'soketi rejected the request with 401', { provider: 'soketi', status: 401 }),
    ]) {
      const fake = recordingProvider(async () => {
        throw failure;
      });
      const batcher = createPublishBatcher(fake.provider);
      const results = await Promise.allSettled(['a', 'b', 'c'].map((data) => batcher.publish(event('room', data))));
      expect(results.every((result) => result.status === 'rejected' && result.reason === failure)).toBe(true);
      expect(fake.requests).toHaveLength(1);
    }
  });

  it('uses per-event outcomes where the provider reports them (Ably)', async () => {
    const fake = recordingProvider();
    const sent: OutgoingEvent[][] = [];
    const refused = new RealtimeError('provider_rejected', 'ably refused the publish to private-b', { provider: 'ably' });
    const batcher = createPublishBatcher({
      ...fake.provider,
      name: 'ably',
      limits: DEFAULT_LIMITS.ably,
      publishEach: async (events) => {
        sent.push([...events]);
        return events.map((one) => (one.channels[0] === 'private-b' ? refused : undefined));
      },
    });
    const results = await Promise.allSettled(['a', 'private-b', 'c'].map((channel) => batcher.publish(event(channel))));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBe(refused);
    expect(sent).toHaveLength(1);
    expect(fake.requests).toHaveLength(0);
  });

  it('keeps call order per channel across batches even when requests finish out of order', async () => {
    const fake = recordingProvider(randomDelay);
    const batcher = createPublishBatcher(fake.provider, { maxInFlight: 8 });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) sends.push(batcher.publish(event(i % 4 === 0 ? 'hot' : `cold.${i}`, i)));
    // A multi-channel publish in the middle must not overtake earlier events on its channels.
    sends.push(batcher.publish(event(['hot', 'cold.1'], 'both')));
    sends.push(batcher.publish(event('hot', 'after')));
    await Promise.all(sends);
    const hot = fake.delivered.filter((one) => one.channels.includes('hot')).map((one) => one.data);
    expect(hot).toEqual([...Array.from({ length: 75 }, (_, i) => i * 4), 'both', 'after']);
    const cold1 = fake.delivered.filter((one) => one.channels.includes('cold.1')).map((one) => one.data);
    expect(cold1).toEqual([1, 'both']);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(8);
  });

  it('holds publishes while maxInFlight requests are busy and sends them in full batches', async () => {
    const fake = recordingProvider(() => new Promise<void>((resolve) => setTimeout(resolve, 5)));
    const batcher = createPublishBatcher(fake.provider, { maxInFlight: 2 });
    // The first one leaves alone at once; what arrives while it is in flight waits for a slot.
    const first = batcher.publish(event('c.first'));
    await Promise.resolve();
    await Promise.resolve();
    const rest = Array.from({ length: 60 }, (_, i) => batcher.publish(event(`c.${i}`)));
    await Promise.all([first, ...rest]);
    expect(fake.maxInFlight()).toBe(2);
    expect(fake.requests.map((request) => request.events.length)).toEqual([1, 10, 10, 10, 10, 10, 10]);
  });

  it('drain() resolves once everything accepted has settled', async () => {
    const fake = recordingProvider(randomDelay);
    const batcher = createPublishBatcher(fake.provider);
    const sends = Array.from({ length: 35 }, (_, i) => batcher.publish(event(`c.${i}`)));
    await batcher.drain();
    expect(fake.delivered).toHaveLength(35);
    await Promise.all(sends);
  });
});

describe('publish batcher: volume', () => {
  it('takes 200,000 publishes at once and sends them all in full batches', async () => {
    const fake = recordingProvider();
    const batcher = createPublishBatcher(fake.provider, { maxInFlight: 4 });
    await Promise.all(Array.from({ length: 200_000 }, (_, i) => batcher.publish(event(`c.${i % 1000}`, i))));
    expect(fake.delivered).toHaveLength(200_000);
    expect(fake.requests.every((request) => request.events.length === 10)).toBe(true);
  });

  it('20,000 publishes to one channel leave in order, one batch at a time, with other channels not starved', async () => {
    const fake = recordingProvider();
    const batcher = createPublishBatcher(fake.provider);
    const sends = Array.from({ length: 20_000 }, (_, i) => batcher.publish(event('hot', i)));
    sends.push(batcher.publish(event('cold', 'cold')));
    await Promise.all(sends);
    expect(fake.delivered.filter((one) => one.channels[0] === 'hot').map((one) => one.data)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(fake.maxInFlight()).toBeLessThanOrEqual(2);
  });
});
