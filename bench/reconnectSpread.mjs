// How N clients come back after Soketi restarts: plain pusher-js (reconnects by itself) versus
// next-realtime's client (library-owned full-jitter backoff). Run after `npm run build`:
//   node bench/reconnectSpread.mjs [clients=200] [baseMs=1000] [capMs=30000]
// Prints, for each, when the clients reconnected relative to the moment the new Soketi was ready.
import PusherModule from 'pusher-js';
import { createRealtimeClient } from '../dist/client/index.js';
import { startSoketi } from '../scripts/soketiProcess.mjs';

const Pusher = PusherModule.default ?? PusherModule;
const count = Number(process.argv[2] ?? 200);
const baseMs = Number(process.argv[3] ?? 1000);
const capMs = Number(process.argv[4] ?? 30_000);

function summary(label, times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  let busiest = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] > 100) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  console.log(
    `${label.padEnd(34)} n=${sorted.length} min=${sorted[0]} p10=${at(0.1)} p50=${at(0.5)} p90=${at(0.9)} max=${sorted.at(-1)} ms; busiest 100 ms window: ${busiest} clients`,
  );
}

async function measure(label, soketi, connectAll) {
  const reconnectedAt = new Map();
  const { clients, whenConnected, onReconnect, close } = connectAll(soketi);
  await whenConnected();
  onReconnect((id) => reconnectedAt.set(id, Date.now()));
  const port = soketi.port;
  await soketi.stop();
  const next = await startSoketi({ port, quiet: true });
  const readyAt = Date.now();
  const deadline = Date.now() + Math.max(60_000, capMs * 3);
  while (reconnectedAt.size < clients && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  summary(label, [...reconnectedAt.values()].map((at) => at - readyAt));
  close();
  return next;
}

let soketi = await startSoketi({ quiet: true });
soketi = await measure('pusher-js (its own reconnect)', soketi, (server) => {
  const list = Array.from({ length: count }, () => new Pusher(server.key, { cluster: 'mt1', wsHost: server.host, wsPort: server.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true }));
  return {
    clients: count,
    whenConnected: () => Promise.all(list.map((p) => new Promise((resolve) => (p.connection.state === 'connected' ? resolve() : p.connection.bind('connected', resolve))))),
    onReconnect: (record) => list.forEach((p, i) => p.connection.bind('connected', () => record(i))),
    close: () => list.forEach((p) => p.disconnect()),
  };
});
soketi = await measure(`next-realtime (base ${baseMs}, cap ${capMs})`, soketi, (server) => {
  const list = Array.from({ length: count }, () =>
    createRealtimeClient({ provider: 'soketi', key: server.key, host: server.host, port: server.port, tokenEndpoint: false, systemEvents: false, reconnect: { baseMs, capMs } }),
  );
  return {
    clients: count,
    whenConnected: () => Promise.all(list.map((c) => c.connect())),
    onReconnect: (record) => list.forEach((c, i) => c.onStateChange((state) => state === 'connected' && record(i))),
    close: () => list.forEach((c) => c.disconnect()),
  };
});
await soketi.stop();
process.exit(0);
