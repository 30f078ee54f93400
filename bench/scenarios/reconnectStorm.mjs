// A reconnect storm: N clients on private channels, Soketi restarts on the same port, everyone
// comes back through the real route handlers (createRealtimeFetchHandler over node:http, in this
// process). The library's client (a fresh token per attempt, full-jitter backoff, attempt timeouts
// that grow per retry) against raw pusher-js with its defaults. The clients live in child
// processes of their own (bench/scenarios/stormClients.mjs, BENCH_STORM_PROCESSES of them, default
// 4), as browsers would: with all of them in this process the figure measured one starved event
// loop (the app's handlers queued behind 5,000 clients' timers) rather than either strategy. One
// storm per side (a restart is the round): raw first, then the library.
//   BENCH_STORM_CLIENTS (5000), BENCH_STORM_PROCESSES (4), BENCH_STORM_TIMEOUT_MS (120000),
//   BENCH_STORM_QUIET_MS (35000: stop waiting once nobody came back for that long)
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineChannels } from '../../dist/index.js';
import { createRealtimeFetchHandler } from '../../dist/next/index.js';
import { createRealtime } from '../../dist/server/index.js';
import { superviseChild } from '../../scripts/childProcess.mjs';
import { startSoketi } from '../../scripts/soketiProcess.mjs';
import { percentile, report, reportOne, selected, sleep } from '../harness.mjs';
import { peakPerSecond, serveFetch, total } from '../serveFetch.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

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

/** A forked client process with a promise per awaited message type. */
function forkClients(config) {
  const child = fork(path.join(here, 'stormClients.mjs'), [], { env: { ...process.env, STORM_CLIENTS: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const supervised = superviseChild(child, { quiet: true, keepChunks: 50 });
  const waiters = new Map();
  const times = [];
  const connected = [];
  child.on('message', (message) => {
    if (message.type === 'resubscribed') {
      times.push(...message.times);
      connected.push(...message.connected);
    }
    if (message.type === 'error') console.error(`   storm client process: ${message.message}`);
    const waiting = waiters.get(message.type);
    if (waiting) {
      waiters.delete(message.type);
      waiting(message);
    }
  });
  const next = (type) =>
    new Promise((resolve, reject) => {
      waiters.set(type, resolve);
      supervised.exited.then(({ code, signal }) => reject(new Error(`storm client process exited (${signal ?? code}) while waiting for ${type}:\n${supervised.output.join('').slice(-2000)}`)));
    });
  return { times, connected, next, send: (message) => child.send(message), stop: () => supervised.stop(3000) };
}

async function storm(label, kind, soketi, count) {
  const app = await startAuthApp(soketi);
  const processes = Math.max(1, Number(process.env.BENCH_STORM_PROCESSES ?? 4));
  const perProcess = Math.ceil(count / processes);
  const children = [];
  try {
    for (let first = 0; first < count; first += perProcess) {
      const child = forkClients({ kind, first, count: Math.min(perProcess, count - first), parallel: Math.ceil(200 / processes), base: app.base, soketi: { key: soketi.key, host: soketi.host, port: soketi.port } });
      children.push(child);
    }
    await Promise.all(children.map((child) => child.next('ready')));
    const connectStart = Date.now();
    await Promise.all(children.map((child) => (child.send({ type: 'connect' }), child.next('subscribed'))));
    console.log(`   ${label}: ${count} clients subscribed in ${((Date.now() - connectStart) / 1000).toFixed(1)} s (${children.length} client processes)`);
    await Promise.all(children.map((child) => (child.send({ type: 'arm' }), child.next('armed'))));
    const port = soketi.port;
    const stoppedAt = Date.now();
    await soketi.stop();
    const next = await startSoketi({ port, quiet: true, env: { SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'false' } });
    const readyAt = Date.now();
    const budgetMs = Number(process.env.BENCH_STORM_TIMEOUT_MS ?? 120_000);
    // Ends when all are back, after budgetMs, or once nobody came back for quietMs (longer than the
    // library's largest backoff window, 30 s; counted from the first return): pusher-js never retries a channel whose
    // authorization failed, so without this the raw storm always waited out the whole budget.
    const quietMs = Number(process.env.BENCH_STORM_QUIET_MS ?? 35_000);
    const back = () => children.reduce((sum, child) => sum + child.times.length, 0);
    let lastCount = 0;
    let lastChangeAt = Number.POSITIVE_INFINITY; // the quiet period counts from the first return
    while (back() < count && Date.now() - readyAt < budgetMs && Date.now() - lastChangeAt < quietMs) {
      await sleep(100);
      if (back() !== lastCount) {
        lastCount = back();
        lastChangeAt = Date.now();
      }
    }
    const reports = await Promise.all(children.map((child) => (child.send({ type: 'report' }), child.next('report'))));
    const times = children.flatMap((child) => child.times).map((at) => at - readyAt).sort((a, b) => a - b);
    const at = (share) => (times.length >= Math.ceil(share * count) ? times[Math.ceil(share * count) - 1] : Number.POSITIVE_INFINITY);
    const states = {};
    for (const { states: counted } of reports) for (const [state, n] of Object.entries(counted)) states[state] = (states[state] ?? 0) + n;
    const connectedTimes = children.flatMap((child) => child.connected).map((at) => at - readyAt);
    const seconds = (ms) => (ms / 1000).toFixed(1);
    const spread = (values) => (values.length ? [10, 50, 90].map((p) => seconds(percentile(values, p))).join(' / ') : '-');
    // How the returns were spread: resubscriptions per second after the new Soketi was ready.
    const perSecond = [];
    for (const t of times) perSecond[Math.max(0, Math.floor(t / 1000))] = (perSecond[Math.max(0, Math.floor(t / 1000))] ?? 0) + 1;
    console.log(`   ${label}: connected again p10/p50/p90 ${spread(connectedTimes)} s, resubscribed ${spread(times)} s; resubscribed per second: ${Array.from(perSecond, (n) => n ?? 0).join(' ')}`);
    console.log(`   ${label}: Soketi down ${((readyAt - stoppedAt) / 1000).toFixed(1)} s; resubscribed ${times.length} of ${count} (waited ${seconds(Date.now() - readyAt)} s: all back, ${budgetMs / 1000} s, or ${quietMs / 1000} s without a return); connection states at the end ${JSON.stringify(states)}, failed channel authorizations after the restart ${reports.reduce((sum, r) => sum + r.subscriptionErrors, 0)}`);
    return {
      result: {
        p95: at(0.95),
        all: at(1),
        resubscribed: times.length,
        peakAuth: app.peakPerSecond(stoppedAt, ['/api/realtime/auth']),
        peak: app.peakPerSecond(stoppedAt),
        requests: app.requestsSince(stoppedAt),
      },
      soketi: next,
    };
  } finally {
    await Promise.all(children.map((child) => (child.send({ type: 'stop' }), child.stop())));
    await app.close();
    await sleep(500);
  }
}

export async function run({ soketi }) {
  if (!selected('reconnect storm')) return soketi;
  const count = Number(process.env.BENCH_STORM_CLIENTS ?? 5000);
  const raw = await storm('raw pusher-js', 'raw', soketi, count);
  soketi = raw.soketi;
  const lib = await storm('next-realtime client', 'library', soketi, count);
  soketi = lib.soketi;
  const n = count.toLocaleString('en-US');
  report(`reconnect storm ${n}: until 95% resubscribed`, 'ms', lib.result.p95, raw.result.p95, { lowerIsBetter: true });
  report(`reconnect storm ${n}: until all resubscribed`, 'ms', lib.result.all, raw.result.all, { lowerIsBetter: true });
  report(`reconnect storm ${n}: peak channel-auth requests/s`, 'req/s', lib.result.peakAuth, raw.result.peakAuth, { lowerIsBetter: true });
  report(`reconnect storm ${n}: peak requests/s to the app, all`, 'req/s', lib.result.peak, raw.result.peak, { lowerIsBetter: true, note: 'library: token + user-auth + auth' });
  reportOne(
    `reconnect storm ${n}: never came back`,
    `library ${count - lib.result.resubscribed}, raw ${count - raw.result.resubscribed}; requests to the app: library ${lib.result.requests}, raw ${raw.result.requests}`,
  );
  return soketi;
}
