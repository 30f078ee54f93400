// publish() on the server -> the subscriber's callback: the library's server and client against
// the SDK's trigger() and raw pusher-js, one event at a time.
import { Agent } from 'node:http';
import Pusher from 'pusher';
import { createRealtime } from '../../dist/server/index.js';
import { compareMany, nowMs, percentile } from '../harness.mjs';
import { libraryClient, rawPusherJs, rawSubscribed } from './clients.mjs';

async function roundTrips(publish, setHandler, count) {
  const latencies = [];
  let resolveNext;
  setHandler(() => resolveNext?.());
  for (let i = 0; i < count; i++) {
    const received = new Promise((resolve) => (resolveNext = resolve));
    const start = nowMs();
    await publish(i);
    await received;
    latencies.push(nowMs() - start);
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function run({ soketi }) {
  const credentials = { appId: soketi.appId, key: soketi.key, secret: soketi.secret };
  const realtime = createRealtime({ provider: 'soketi', ...credentials, host: soketi.host, port: soketi.port });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const raw = new Pusher({ ...credentials, host: soketi.host, port: String(soketi.port), useTLS: false, agent });
  const libClient = libraryClient(soketi);
  const rawClient = rawPusherJs(soketi);
  let libHandler;
  let rawHandler;
  libClient.subscribe('bench-e2e-lib', 'tick', (data) => libHandler?.(data));
  const rawChannel = rawClient.subscribe('bench-e2e-raw');
  rawChannel.bind('tick', (data) => rawHandler?.(data));
  await libClient.whenSubscribed('bench-e2e-lib');
  await rawSubscribed(rawChannel);
  await compareMany('publish -> subscriber callback', {
    p50: { name: 'publish -> subscriber callback, p50', unit: 'ms', lowerIsBetter: true },
    p99: { name: 'publish -> subscriber callback, p99', unit: 'ms', lowerIsBetter: true },
  },
    () => roundTrips((i) => realtime.publish('bench-e2e-lib', 'tick', { i }), (h) => (libHandler = h), 300),
    () => roundTrips(async (i) => { const r = await raw.trigger('bench-e2e-raw', 'tick', { i }); await r.text(); }, (h) => (rawHandler = h), 300),
  );
  libClient.disconnect();
  rawClient.disconnect();
  await realtime.close();
  agent.destroy();
}
