import PusherModule from 'pusher-js';
import type * as PusherTypes from 'pusher-js';
import type * as PusherCore from 'pusher-js/types/src/core/pusher.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { isRealtimeError } from '../../src/index.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { eventually } from '../support/events.js';

type PusherJs = PusherCore.default;
const PusherJs = ((PusherModule as { default?: unknown }).default ?? PusherModule) as unknown as new (key: string, options: PusherTypes.Options) => PusherJs;

/**
 * Concurrent publishes share `batch_events` requests on a real Soketi, raw pusher-js subscribers
 * see every event in call order per channel, and a batch Soketi refuses because of one event
 * fails only that event.
 */
describe('soketi: auto-batched publishing', () => {
  let soketi: SoketiProcess;
  let realtime: Realtime;
  let subscriber: PusherJs;

  beforeAll(async () => {
    // Soketi accepts 1 KB events while the library is told 100 KB: Soketi is the one to refuse.
    soketi = await startSoketi({ quiet: true, env: { SOKETI_EVENT_MAX_SIZE_IN_KB: '1', SOKETI_METRICS_ENABLED: 'true' } });
    realtime = createRealtime({
      provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port,
      maxPayloadBytes: 100 * 1024,
    });
    subscriber = new PusherJs(soketi.key, {
      cluster: 'mt1', wsHost: soketi.host, wsPort: soketi.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true,
    });
  });
  afterAll(async () => {
    subscriber?.disconnect();
    await realtime?.close();
    await soketi?.stop();
  });

  const subscribe = async (channel: string) => {
    const received: unknown[] = [];
    const subscription = subscriber.subscribe(channel);
    subscription.bind('message', (data: unknown) => received.push(data));
    await new Promise<void>((resolve) => subscription.bind('pusher:subscription_succeeded', () => resolve()));
    return received;
  };

  /** Soketi's own count of HTTP API calls it received. */
  const httpCalls = async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${soketi.metricsPort}/metrics`)).text();
    const line = metrics.split('\n').find((entry) => entry.startsWith('soketi_http_calls_received_total'));
    return line ? Number(line.trim().split(/\s+/).at(-1)) : 0;
  };

  it('200 concurrent publishes reach pusher-js in call order per channel, in about 20 requests', async () => {
    const channels = ['batch.a', 'batch.b', 'batch.c', 'batch.d', 'batch.e'];
    const received = await Promise.all(channels.map(subscribe));
    const before = await httpCalls();
    await Promise.all(Array.from({ length: 200 }, (_, i) => realtime.publish(channels[i % 5]!, 'message', { i })));
    const requests = (await httpCalls()) - before;
    await eventually(() => expect(received.flat()).toHaveLength(200));
    received.forEach((events, channel) => {
      expect(events).toEqual(Array.from({ length: 40 }, (_, n) => ({ i: n * 5 + channel })));
    });
    // 200 events in batches of 10; the metrics request itself is not counted in `requests`.
    expect(requests).toBeGreaterThanOrEqual(20);
    expect(requests).toBeLessThanOrEqual(25);
  });

  it('an event Soketi refuses fails alone: its neighbours in the same batch are delivered, in order', async () => {
    const received = await subscribe('batch.mixed');
    const results = await Promise.allSettled([
      realtime.publish('batch.mixed', 'message', 'first'),
      realtime.publish('batch.mixed', 'message', 'x'.repeat(2048)),
      realtime.publish('batch.mixed', 'message', 'third'),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = (results[1] as PromiseRejectedResult).reason;
    expect(isRealtimeError(error, 'payload_too_large')).toBe(true);
    expect((error as { provider: string }).provider).toBe('soketi');
    await eventually(() => expect(received).toEqual(['first', 'third']));
  });

  it('a batch to a wrong secret rejects every caller with Soketi’s reason', async () => {
    const wrong = createRealtime({
      provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: 'wrong-secret', host: soketi.host, port: soketi.port,
    });
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => wrong.publish('batch.denied', 'message', i)));
    expect(results.every((result) => result.status === 'rejected' && isRealtimeError(result.reason, 'provider_rejected'))).toBe(true);
    expect(((results[0] as PromiseRejectedResult).reason as Error).message).toMatch(/401/);
    await wrong.close();
  });
});
