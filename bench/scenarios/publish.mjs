// Publishing from a server: what one publish() costs next to the SDK's trigger(), alone, with
// 64 in flight, and with 10,000 issued at once (where auto-batching shares requests).
import { Agent } from 'node:http';
import Pusher from 'pusher';
import { createRealtime } from '../../dist/server/index.js';
import { compare, compareMany, nowMs, percentile, rate, rateInFlight } from '../harness.mjs';

const payload = { id: 42, text: 'hello from the benchmark', at: '2026-11-27T00:00:00Z' };

/** `count` publishes issued at once: throughput and the latency of each promise. */
async function burst(count, publishOne) {
  const latencies = new Array(count);
  const start = nowMs();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await publishOne(i);
      latencies[i] = nowMs() - start;
    }),
  );
  const seconds = (nowMs() - start) / 1000;
  return { throughput: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function run({ soketi }) {
  const credentials = { appId: soketi.appId, key: soketi.key, secret: soketi.secret };
  const realtime = createRealtime({ provider: 'soketi', ...credentials, host: soketi.host, port: soketi.port });
  // The same agent settings as the library's own (keep-alive, 64 sockets).
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const raw = new Pusher({ ...credentials, host: soketi.host, port: String(soketi.port), useTLS: false, agent });
  const trigger = async (channel, data) => {
    const response = await raw.trigger(channel, 'tick', data);
    const body = await response.text();
    if (body.includes('"error"')) throw new Error(body);
  };

  await compare('publish, sequential (awaited one by one)', 'msg/s',
    () => rate(400, () => realtime.publish('bench', 'tick', payload)),
    () => rate(400, () => trigger('bench', payload)),
  );
  await compare('publish, 64 in flight (distinct channels)', 'msg/s',
    () => rateInFlight(3000, 64, (i) => realtime.publish(`bench.f.${i % 500}`, 'tick', payload)),
    () => rateInFlight(3000, 64, (i) => trigger(`bench.f.${i % 500}`, payload)),
  );
  const concurrent = Number(process.env.BENCH_CONCURRENT ?? 10_000);
  await compareMany(`publish, ${concurrent} concurrent`, {
    throughput: { name: `publish, ${concurrent.toLocaleString('en-US')} concurrent, throughput`, unit: 'msg/s' },
    p50: { name: `publish, ${concurrent.toLocaleString('en-US')} concurrent, p50 latency`, unit: 'ms', lowerIsBetter: true },
    p99: { name: `publish, ${concurrent.toLocaleString('en-US')} concurrent, p99 latency`, unit: 'ms', lowerIsBetter: true },
  },
    () => burst(concurrent, (i) => realtime.publish(`bench.c.${i}`, 'tick', payload)),
    () => burst(concurrent, (i) => trigger(`bench.c.${i}`, payload)),
    { rounds: Number(process.env.BENCH_CONCURRENT_ROUNDS ?? 3), warmUp: false },
  );

  const batch = Array.from({ length: 10 }, (_, i) => ({ channel: `bench.${i}`, event: 'tick', data: payload }));
  const rawBatch = () => batch.map((item) => ({ channel: item.channel, name: item.event, data: JSON.stringify(item.data) }));
  await compare('publishBatch of 10 vs triggerBatch', 'msg/s',
    async () => 10 * (await rate(100, () => realtime.publishBatch(batch))),
    async () => 10 * (await rate(100, async () => { const r = await raw.triggerBatch(rawBatch()); await r.text(); })),
  );

  await realtime.close();
  agent.destroy();
}
