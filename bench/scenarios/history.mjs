// History channels (docs/delivery.md): what an id, a position and a stored copy cost per publish,
// that plain channels pay nothing for withHistory(), and how long one client takes to recover
// 1,000 events it missed. Redis is the shared 127.0.0.1:6379 (REDIS_URL), under a key prefix of
// this run's own that is deleted afterwards.
import { Agent } from 'node:http';
import Pusher from 'pusher';
import { Redis } from 'ioredis';
import { createRealtime, createHistoryStore, createMemoryHistoryStore, withHistory } from '../../dist/server/index.js';
import { createRealtimeClient } from '../../dist/client/index.js';
import { defineChannels } from '../../dist/index.js';
import { createRealtimeFetchHandler } from '../../dist/next/index.js';
import { compare, median, nowMs, rate, rateInFlight, reportOne, selected, until, ROUNDS } from '../harness.mjs';

const payload = { id: 42, text: 'hello from the benchmark', at: '2026-11-27T00:00:00Z' };
const RECOVERY_FIGURE = 'recover 1,000 missed events after a reconnect (one client)';
const FLOOR_FIGURE = 'history publish, Redis store: where the time goes (ms each)';
export const figureNames = [
  'history publish, Redis store (vs plain publish)',
  FLOOR_FIGURE,
  'history publish, Redis store, 64 in flight (vs plain)',
  'history publish, memory store (vs plain publish)',
  'plain publish through withHistory (vs SDK trigger)',
  RECOVERY_FIGURE,
];

export async function run({ soketi }) {
  const credentials = { appId: soketi.appId, key: soketi.key, secret: soketi.secret };
  const base = createRealtime({ provider: 'soketi', ...credentials, host: soketi.host, port: soketi.port });
  const prefix = `bench:history:${process.pid}:`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisHistory = withHistory(base, { channels: { 'hist.{id}': true }, store: createHistoryStore({ redisUrl, prefix }) });
  const memoryHistory = withHistory(base, { channels: { 'hist.{id}': true }, store: createMemoryHistoryStore() });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const raw = new Pusher({ ...credentials, host: soketi.host, port: String(soketi.port), useTLS: false, agent });

  await compare('history publish, Redis store (vs plain publish)', 'msg/s',
    () => rate(400, () => redisHistory.publish('hist.bench', 'tick', payload)),
    () => rate(400, () => base.publish('plain.bench', 'tick', payload)),
  );
  if (selected(FLOOR_FIGURE)) {
    // The floor of a sequential history publish: it cannot be sent live before Redis answered
    // (accepted = stored), so it costs one Redis round trip plus the plain publish. Measured
    // apart, interleaved, ms each: the plain publish; the append alone (the Lua script); a bare
    // PING then a plain publish (the two round trips, no script); the append then a plain
    // publish, written out by hand (the design's floor, no withHistory code); the history publish.
    const store = redisHistory.historyStore;
    const ping = new Redis(redisUrl);
    const bounds = { maxEvents: 1000, maxAgeMs: 24 * 60 * 60 * 1000 };
    const json = JSON.stringify(payload);
    const append = () => store.append('hist.floor-append', { id: crypto.randomUUID(), event: 'tick', json }, bounds);
    const parts = {
      plain: () => base.publish('plain.floor', 'tick', payload),
      append,
      pingThenPlain: async () => {
        await ping.ping();
        await base.publish('plain.floor', 'tick', payload);
      },
      appendThenPlain: async () => {
        await append();
        await base.publish('plain.floor', 'tick', payload);
      },
      history: () => redisHistory.publish('hist.floor', 'tick', payload),
    };
    const msEach = async (run, count = 300) => {
      const start = nowMs();
      for (let i = 0; i < count; i++) await run();
      return (nowMs() - start) / count;
    };
    const times = Object.fromEntries(Object.keys(parts).map((name) => [name, []]));
    for (const run of Object.values(parts)) await msEach(run, 50);
    for (let round = 0; round < ROUNDS * 2 + 1; round++) {
      const names = Object.keys(parts);
      if (round % 2 === 1) names.reverse();
      for (const name of names) times[name].push(await msEach(parts[name]));
    }
    await ping.quit();
    const m = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
    reportOne(
      FLOOR_FIGURE,
      `plain ${m.plain.toFixed(2)} | append alone ${m.append.toFixed(2)} | PING+plain ${m.pingThenPlain.toFixed(2)} | append+plain ${m.appendThenPlain.toFixed(2)} | history ${m.history.toFixed(2)}: floor x${(m.plain / m.appendThenPlain).toFixed(2)}, history/floor ${(m.history / m.appendThenPlain).toFixed(2)}`,
    );
  }
  // Many server actions at once: the Redis round trip of one publish overlaps the others'.
  await compare('history publish, Redis store, 64 in flight (vs plain)', 'msg/s',
    () => rateInFlight(3000, 64, (i) => redisHistory.publish(`hist.f${i % 500}`, 'tick', payload)),
    () => rateInFlight(3000, 64, (i) => base.publish(`plain.f${i % 500}`, 'tick', payload)),
  );
  await compare('history publish, memory store (vs plain publish)', 'msg/s',
    () => rate(400, () => memoryHistory.publish('hist.bench', 'tick', payload)),
    () => rate(400, () => base.publish('plain.bench', 'tick', payload)),
  );
  await compare('plain publish through withHistory (vs SDK trigger)', 'msg/s',
    () => rate(400, () => redisHistory.publish('plain.bench', 'tick', payload)),
    () => rate(400, async () => { const r = await raw.trigger('plain.bench', 'tick', payload); await r.text(); }),
  );

  if (selected(RECOVERY_FIGURE)) {
    // A library client misses 1,000 events while disconnected; timed from connect() to the
    // 1,000th handler call (connect, re-subscribe, one history request, delivery in order).
    const handler = createRealtimeFetchHandler({ realtime: redisHistory, channels: defineChannels({}), getUser: () => null });
    const client = createRealtimeClient({
      provider: 'soketi', key: soketi.key, host: soketi.host, port: soketi.port, tokenEndpoint: false,
      historyEndpoint: 'http://bench.local/api/realtime/history',
      historyChannels: ['hist.{id}'],
      fetch: (input, init) => handler(new Request(new URL(String(input)), init)),
    });
    const times = [];
    for (let round = 0; round < ROUNDS; round++) {
      const channel = `hist.recover${round}`;
      let received = 0;
      const off = client.subscribe(channel, 'tick', () => (received += 1));
      await client.whenSubscribed(channel);
      await until(() => client.cursor(channel) !== undefined, 5000, 'the channel head');
      client.disconnect();
      for (let i = 0; i < 1000; i++) await redisHistory.publish(channel, 'tick', { i, ...payload });
      const start = nowMs();
      await client.connect();
      await until(() => received >= 1000, 10_000, '1,000 recovered events');
      times.push(nowMs() - start);
      off();
    }
    client.disconnect();
    reportOne(RECOVERY_FIGURE, `${median(times).toFixed(0)} ms median of ${ROUNDS} (target < 1,000 ms)`);
  }

  await redisHistory.historyStore.close();
  await base.close();
  agent.destroy();
  const admin = new Redis(redisUrl);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
}
