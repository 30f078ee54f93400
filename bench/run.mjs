// `npm run bench`: the library next to the raw provider SDK, in one run, on a local Soketi.
// Each scenario alternates library and raw rounds (AB BA AB ...) and reports the median of each side
// and their ratio, because on a shared 2-core machine absolute numbers drift between runs while
// the ratio of interleaved rounds stays meaningful.
import { Agent } from 'node:http';
import Pusher from 'pusher';
import PusherJs from 'pusher-js';
import { startSoketi } from '../scripts/soketiProcess.mjs';
import { createRealtime } from '../dist/server/index.js';
import { createRealtimeClient } from '../dist/client/index.js';
import { defineChannels } from '../dist/index.js';
import { createRealtimeFetchHandler } from '../dist/next/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const only = process.env.BENCH_ONLY?.split(',');

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function rate(count, run) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await run(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

/** Runs `library` and `raw` alternately; higher is better unless `lowerIsBetter`. */
async function compare(name, unit, library, raw, { lowerIsBetter = false } = {}) {
  if (only && !only.some((word) => name.includes(word))) return undefined;
  const lib = [];
  const sdk = [];
  await library(); // warm-up both sides (JIT, keep-alive sockets)
  await raw();
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first, so neither side always runs on a machine the other just warmed.
    if (round % 2 === 0) {
      lib.push(await library());
      sdk.push(await raw());
    } else {
      sdk.push(await raw());
      lib.push(await library());
    }
  }
  const result = { name, unit, library: median(lib), raw: median(sdk) };
  // ratio > 1 means the library is slower than the raw SDK by that factor.
  result.slowdown = lowerIsBetter ? result.library / result.raw : result.raw / result.library;
  const fmt = (value) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2));
  console.log(
    `${name.padEnd(52)} library ${fmt(result.library).padStart(9)} ${unit.padEnd(6)} raw ${fmt(result.raw).padStart(9)} ${unit.padEnd(6)} library/raw cost x${result.slowdown.toFixed(2)}`,
  );
  return result;
}

const soketi = await startSoketi({ quiet: true });
const credentials = { appId: soketi.appId, key: soketi.key, secret: soketi.secret };
const realtime = createRealtime({ provider: 'soketi', ...credentials, host: soketi.host, port: soketi.port });
const keepAliveAgent = new Agent({ keepAlive: true, maxSockets: 64 });
const rawKeepAlive = new Pusher({ ...credentials, host: soketi.host, port: String(soketi.port), useTLS: false, agent: keepAliveAgent });
const rawDefault = new Pusher({ ...credentials, host: soketi.host, port: String(soketi.port), useTLS: false });
const signer = realtime.auth; // the provider's SDK-free auth part: what /auth signs with
const payload = { id: 42, text: 'hello from the benchmark', at: '2026-11-27T00:00:00Z' };
const results = [];

console.log(`next-realtime benchmarks — node ${process.version}, Soketi on 127.0.0.1:${soketi.port}, ${ROUNDS} interleaved rounds, medians`);

// 1. Sequential publishes: what a server action pays per publish().
results.push(
  await compare('publish, sequential (vs SDK with keep-alive agent)', 'msg/s',
    () => rate(400, () => realtime.publish('bench', 'tick', payload)),
    () => rate(400, async () => { const r = await rawKeepAlive.trigger('bench', 'tick', payload); await r.text(); }),
  ),
);
results.push(
  await compare('publish, sequential (vs SDK as shipped, no agent)', 'msg/s',
    () => rate(400, () => realtime.publish('bench', 'tick', payload)),
    () => rate(400, async () => { const r = await rawDefault.trigger('bench', 'tick', payload); await r.text(); }),
  ),
);

// 2. Batches of 10.
const batch = Array.from({ length: 10 }, (_, i) => ({ channel: `bench.${i}`, event: 'tick', data: payload }));
const rawBatch = batch.map((item) => ({ channel: item.channel, name: item.event, data: JSON.stringify(item.data) }));
results.push(
  await compare('publishBatch of 10 (vs SDK triggerBatch, keep-alive)', 'msg/s',
    async () => 10 * (await rate(100, () => realtime.publishBatch(batch))),
    async () => 10 * (await rate(100, async () => { const r = await rawKeepAlive.triggerBatch(rawBatch); await r.text(); })),
  ),
);

// 3. Channel authorization signing: the /auth endpoint's hot path.
results.push(
  await compare('authorizeChannel private (vs SDK authorizeChannel)', 'ops/s',
    () => rate(20000, (i) => signer.authorizeChannel(`${i}.1`, 'private-orders.1')),
    () => rate(20000, (i) => rawKeepAlive.authorizeChannel(`${i}.1`, 'private-orders.1')),
  ),
);
results.push(
  await compare('authorizeChannel presence (vs SDK authorizeChannel)', 'ops/s',
    () => rate(20000, (i) => signer.authorizeChannel(`${i}.1`, 'presence-room.1', { id: 'u1', info: { name: 'A' } })),
    () => rate(20000, (i) => rawKeepAlive.authorizeChannel(`${i}.1`, 'presence-room.1', { user_id: 'u1', user_info: { name: 'A' } })),
  ),
);

// 3b. The /auth endpoint as an app serves it: Request in, Response out. The library (form
// parsing, session lookup, channel policy, validation, signing) against the smallest handler an
// app could write by hand around the SDK (form parsing and signing only, no policy).
const policy = defineChannels({ 'private-orders.{orderId}': (user, { orderId }) => orderId === '1' || user.id === 'admin' });
const authHandler = createRealtimeFetchHandler({
  realtime,
  channels: policy,
  getUser: async () => ({ id: 'u1' }),
  tokenSecrets: 'bench:bench-secret-bench-secret',
});
const authRequest = (i) =>
  new Request('http://app.local/api/realtime/auth', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `socket_id=${i}.1&channel_name=private-orders.1`,
  });
const handWritten = async (request) => {
  const form = await request.formData();
  return Response.json(rawKeepAlive.authorizeChannel(String(form.get('socket_id')), String(form.get('channel_name'))));
};
results.push(
  await compare('POST /auth handler (vs hand-written SDK handler, no policy)', 'req/s',
    () => rate(5000, async (i) => { const response = await authHandler(authRequest(i), 'auth'); if (response.status !== 200) throw new Error(await response.text()); await response.json(); }),
    () => rate(5000, async (i) => { const response = await handWritten(authRequest(i)); await response.json(); }),
  ),
);

// 4. End to end: publish -> subscriber callback, library client vs raw pusher-js.
async function roundTrips(publish, setHandler, count) {
  const latencies = [];
  let resolveNext;
  setHandler((data) => resolveNext?.(data));
  for (let i = 0; i < count; i++) {
    const received = new Promise((resolve) => (resolveNext = resolve));
    const start = process.hrtime.bigint();
    await publish(i);
    await received;
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return latencies;
}
const libClient = createRealtimeClient({ provider: 'soketi', key: soketi.key, host: soketi.host, port: soketi.port, tokenEndpoint: false });
const rawClient = new PusherJs(soketi.key, { cluster: 'mt1', wsHost: soketi.host, wsPort: soketi.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true });
let libHandler;
let rawHandler;
libClient.subscribe('bench-e2e-lib', 'tick', (data) => libHandler?.(data));
const rawChannel = rawClient.subscribe('bench-e2e-raw');
rawChannel.bind('tick', (data) => rawHandler?.(data));
await libClient.whenSubscribed('bench-e2e-lib');
await new Promise((resolve) => (rawChannel.subscribed ? resolve() : rawChannel.bind('pusher:subscription_succeeded', resolve)));
for (const [label, pick] of [['p50', 50], ['p99', 99]]) {
  results.push(
    await compare(`publish -> subscriber callback, ${label}`, 'ms',
      async () => {
        const lat = await roundTrips((i) => realtime.publish('bench-e2e-lib', 'tick', { i }), (h) => (libHandler = h), 200);
        return percentile(lat, pick);
      },
      async () => {
        const lat = await roundTrips(async (i) => { const r = await rawKeepAlive.trigger('bench-e2e-raw', 'tick', { i }); await r.text(); }, (h) => (rawHandler = h), 200);
        return percentile(lat, pick);
      },
      { lowerIsBetter: true },
    ),
  );
}

libClient.disconnect();
rawClient.disconnect();
await realtime.close();
keepAliveAgent.destroy();
await soketi.stop();
if (process.env.BENCH_JSON) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.BENCH_JSON, JSON.stringify(results.filter(Boolean), null, 2));
}
process.exit(0);
