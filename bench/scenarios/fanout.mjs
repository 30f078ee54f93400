// One publish to a channel with 1,000 and 5,000 subscribers: time until the last subscriber has
// it, and Soketi's CPU per recipient. Library server + library clients vs SDK trigger() + raw
// pusher-js clients, both sets connected at once to the same Soketi, publishes alternating.
import { Agent } from 'node:http';
import Pusher from 'pusher';
import { createRealtime } from '../../dist/server/index.js';
import { compareMany, cpuSeconds, nowMs, until } from '../harness.mjs';
import { inBatches, libraryClient, rawPusherJs, rawSubscribed } from './clients.mjs';

export const figureNames = ['fan-out'];

export async function run({ soketi }) {
  const credentials = { appId: soketi.appId, key: soketi.key, secret: soketi.secret };
  const realtime = createRealtime({ provider: 'soketi', ...credentials, host: soketi.host, port: soketi.port });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const raw = new Pusher({ ...credentials, host: soketi.host, port: String(soketi.port), useTLS: false, agent });
  const sizes = (process.env.BENCH_FANOUT ?? '1000,5000').split(',').map(Number);

  for (const size of sizes) {
    const libChannel = `bench-fan-lib-${size}`;
    const rawChannel = `bench-fan-raw-${size}`;
    let libReceived = 0;
    let rawReceived = 0;
    let lastAt = 0;
    const connectStart = Date.now();
    const libClients = await inBatches(size, 250, async () => {
      const client = libraryClient(soketi);
      client.subscribe(libChannel, 'tick', () => { libReceived++; lastAt = nowMs(); });
      await client.whenSubscribed(libChannel);
      return client;
    });
    const rawClients = await inBatches(size, 250, async () => {
      const client = rawPusherJs(soketi);
      const channel = client.subscribe(rawChannel);
      channel.bind('tick', () => { rawReceived++; lastAt = nowMs(); });
      await rawSubscribed(channel);
      return client;
    });
    console.log(`   ${size} + ${size} subscribers connected in ${((Date.now() - connectStart) / 1000).toFixed(1)} s`);

    /** `publishes` events one after another, each awaited until every subscriber has it. */
    const measure = async (publish, received, publishes = 5) => {
      const times = [];
      const cpuBefore = cpuSeconds(soketi.pid);
      for (let n = 0; n < publishes; n++) {
        const target = received() + size;
        const start = nowMs();
        await publish(n);
        await until(() => received() >= target, 30_000, `${size} subscribers to receive publish ${n}`);
        times.push(lastAt - start);
      }
      const cpu = cpuSeconds(soketi.pid) - cpuBefore;
      times.sort((a, b) => a - b);
      return { last: times[Math.floor(times.length / 2)], cpuPerRecipientUs: (cpu / (publishes * size)) * 1e6 };
    };
    const payload = { text: 'fan-out', at: '2026-12-01T00:00:00Z' };
    await compareMany(`fan-out ${size}`, {
      last: { name: `fan-out to ${size.toLocaleString('en-US')}: until the last subscriber has it`, unit: 'ms', lowerIsBetter: true },
      cpuPerRecipientUs: { name: `fan-out to ${size.toLocaleString('en-US')}: Soketi CPU per recipient`, unit: 'µs', lowerIsBetter: true },
    },
      () => measure(() => realtime.publish(libChannel, 'tick', payload), () => libReceived),
      () => measure(async () => { const r = await raw.trigger(rawChannel, 'tick', payload); await r.text(); }, () => rawReceived),
      { rounds: Number(process.env.BENCH_FANOUT_ROUNDS ?? 3) },
    );
    for (const client of libClients) client.disconnect();
    for (const client of rawClients) client.disconnect();
  }
  await realtime.close();
  agent.destroy();
}
