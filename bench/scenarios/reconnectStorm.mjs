// A reconnect storm: N clients on private channels, Soketi restarts on the same port, everyone
// comes back through the real route handlers (createRealtimeFetchHandler over node:http). The
// library's client (fresh token per connect, full-jitter backoff) against raw pusher-js with its
// defaults (reconnects at once, no jitter). One storm per side: a restart is the round.
import { defineChannels } from '../../dist/index.js';
import { createRealtimeFetchHandler } from '../../dist/next/index.js';
import { createRealtime } from '../../dist/server/index.js';
import { startSoketi } from '../../scripts/soketiProcess.mjs';
import { report, reportOne, selected, sleep } from '../harness.mjs';
import { peakPerSecond, serveFetch, total } from '../serveFetch.mjs';
import { nodeFetch } from '../nodeFetch.mjs';
import { inBatches, libraryClient, rawPusherJs } from './clients.mjs';

export const figureNames = ['reconnect storm'];

/** The app's route handlers over HTTP. */
async function startAuthApp(soketi) {
  const realtime = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port });
  const handler = createRealtimeFetchHandler({
    realtime,
    channels: defineChannels({ 'private-storm.{id}': (user, { id }) => user.id === `u${id}` }),
    getUser: (request) => {
      const id = request.headers.get('x-bench-user');
      return id ? { id } : null;
    },
    userFromToken: (claims) => ({ id: String(claims.sub) }),
    tokenSecrets: `storm:${crypto.randomUUID()}`,
  });
  const served = await serveFetch(handler);
  return {
    base: served.base,
    peakPerSecond: (from, paths) => peakPerSecond(served.slots(from, paths)),
    requestsSince: (from, paths) => total(served.slots(from, paths)),
    async close() {
      await served.close();
      await realtime.close();
    },
  };
}

async function storm(label, soketi, count, connect) {
  const app = await startAuthApp(soketi);
  const resubscribedAt = new Map();
  let restarted = false;
  const connectStart = Date.now();
  const clients = await inBatches(count, 200, (i) => connect(i, app.base, () => restarted && !resubscribedAt.has(i) && resubscribedAt.set(i, Date.now())));
  console.log(`   ${label}: ${count} clients subscribed in ${((Date.now() - connectStart) / 1000).toFixed(1)} s`);
  const port = soketi.port;
  await soketi.stop();
  restarted = true;
  const stoppedAt = Date.now();
  const next = await startSoketi({ port, quiet: true, env: { SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'false' } });
  const readyAt = Date.now();
  const budgetMs = Number(process.env.BENCH_STORM_TIMEOUT_MS ?? 120_000);
  while (resubscribedAt.size < count && Date.now() - readyAt < budgetMs) await sleep(50);
  const times = [...resubscribedAt.values()].map((at) => at - readyAt).sort((a, b) => a - b);
  const at = (share) => (times.length >= Math.ceil(share * count) ? times[Math.ceil(share * count) - 1] : Number.POSITIVE_INFINITY);
  const result = {
    p95: at(0.95),
    all: at(1),
    resubscribed: times.length,
    peakAuth: app.peakPerSecond(stoppedAt, ['/api/realtime/auth']),
    peak: app.peakPerSecond(stoppedAt),
    requests: app.requestsSince(stoppedAt),
  };
  const states = {};
  for (const client of clients) {
    const state = client.connection?.state ?? client.state;
    states[state] = (states[state] ?? 0) + 1;
  }
  console.log(`   ${label}: connection states at the end ${JSON.stringify(states)}`);
  for (const client of clients) client.disconnect();
  await app.close();
  await sleep(500);
  return { result, soketi: next };
}

export async function run({ soketi }) {
  if (!selected('reconnect storm')) return soketi;
  const count = Number(process.env.BENCH_STORM_CLIENTS ?? 5000);
  // pusher-js with its defaults: its own reconnect, its own channel authorizer.
  const raw = await storm('raw pusher-js', soketi, count, (i, base, onSubscribed) => new Promise((resolve, reject) => {
    const client = rawPusherJs(soketi, {
      channelAuthorization: { endpoint: `${base}/api/realtime/auth`, transport: 'ajax', headers: { 'x-bench-user': `u${i}` } },
    });
    const channel = client.subscribe(`private-storm.${i}`);
    channel.bind('pusher:subscription_error', (error) => reject(new Error(`subscription refused: ${JSON.stringify(error)}`)));
    channel.bind('pusher:subscription_succeeded', () => {
      onSubscribed();
      resolve(client);
    });
  }));
  soketi = raw.soketi;
  // The library's client with its defaults: a token before every connect, full jitter.
  const lib = await storm('next-realtime client', soketi, count, async (i, base, onSubscribed) => {
    const client = libraryClient(soketi, {
      tokenEndpoint: `${base}/api/realtime/token`,
      authEndpoint: `${base}/api/realtime/auth`,
      userAuthEndpoint: `${base}/api/realtime/user-auth`,
      headers: { 'x-bench-user': `u${i}` },
      // The HTTP stack a browser brings; pusher-js uses node:http here too (see bench/nodeFetch.mjs).
      fetch: nodeFetch,
    });
    client.on('subscribed', ({ channel }) => channel === `private-storm.${i}` && onSubscribed());
    client.subscribe(`private-storm.${i}`, 'tick', () => undefined);
    await client.whenSubscribed(`private-storm.${i}`);
    return client;
  });
  soketi = lib.soketi;
  const n = count.toLocaleString('en-US');
  report(`reconnect storm ${n}: until 95% resubscribed`, 'ms', lib.result.p95, raw.result.p95, { lowerIsBetter: true });
  report(`reconnect storm ${n}: until all resubscribed`, 'ms', lib.result.all, raw.result.all, { lowerIsBetter: true });
  report(`reconnect storm ${n}: peak channel-auth requests/s`, 'req/s', lib.result.peakAuth, raw.result.peakAuth, { lowerIsBetter: true });
  report(`reconnect storm ${n}: peak requests/s to the app, all`, 'req/s', lib.result.peak, raw.result.peak, { lowerIsBetter: true, note: 'library: token + auth' });
  reportOne(`reconnect storm ${n}: requests to the app`, `library ${lib.result.requests} (token + auth), raw ${raw.result.requests} (auth); resubscribed library ${lib.result.resubscribed}, raw ${raw.result.resubscribed}`);
  return soketi;
}
