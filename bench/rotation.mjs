// `npm run bench:rotation`: a secret rotation with N live connections (default 40,000).
//
//   node bench/rotation.mjs [connections=40000]      (npm run bench:rotation -- 2000)
//   ROTATION_GRACE_MS (60000), ROTATION_SPREAD_MS (clients' reauthSpreadMs, default 25000),
//   ROTATION_APPS (2), ROTATION_PER_NODE (14000), ROTATION_PER_CLIENT_PROCESS (10000),
//   ROTATION_DEBUG=1 (every 10 s: each client process's connection states and subscription statuses),
//   ROTATION_PROFILE_APPS=<dir> (a CPU profile of each app instance, written when it stops)
//
// What runs, all started and stopped here: several Soketi nodes sharing the real Redis
// (127.0.0.1:6379) through Soketi's Redis adapter, since one process may hold at most 20,000
// files; several "Next.js instances" (bench/rotation/app.mjs: the library's route handlers and
// connection control over that Redis); several client processes (bench/rotation/clients.mjs: the
// library's own client), each on its own loopback address (127.0.0.2, .3, ...), since one address
// pair has about 28,000 ports. A few clients (0.1%) do not listen for rotations, as an old app
// version would: they must be closed at the deadline.
//
// The rotation: the new key signs at once, every connection is told to re-authenticate within
// ROTATION_GRACE_MS; at the deadline what did not is closed and the old key retired.
//
// Time budget: connect (~10 min for 40,000 on 2 idle cores) + grace (60 s) + closing + teardown; the run
// aborts, stops every process and frees every port after ROTATION_BUDGET_MS (default 16 min).
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { superviseChild } from '../scripts/childProcess.mjs';
import { startSoketi } from '../scripts/soketiProcess.mjs';
import { residentBytes, sleep } from './harness.mjs';
import { peakPerSecond } from './serveFetch.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const COUNT = Number(process.argv[2] ?? process.env.ROTATION_CONNECTIONS ?? 40_000);
const GRACE_MS = Number(process.env.ROTATION_GRACE_MS ?? 60_000);
const SPREAD_MS = Number(process.env.ROTATION_SPREAD_MS ?? 25_000);
const APPS = Number(process.env.ROTATION_APPS ?? 2);
const PER_NODE = Number(process.env.ROTATION_PER_NODE ?? 14_000);
const PER_CLIENT_PROCESS = Number(process.env.ROTATION_PER_CLIENT_PROCESS ?? 10_000);
const BUDGET_MS = Number(process.env.ROTATION_BUDGET_MS ?? 16 * 60_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const run = crypto.randomUUID().slice(0, 8);
const redisPrefix = `bench-rotation:${run}:`;
const soketiPrefix = `bench-rotation-soketi-${run}`;
const app = { appId: 'bench-app', key: 'bench-key', secret: `bench-secret-${run}` };
const tokenSecrets = `old:old-${crypto.randomUUID()},new:new-${crypto.randomUUID()}`;
const nodeCount = Math.max(1, Math.ceil(COUNT / PER_NODE));
const clientProcessCount = Math.max(1, Math.ceil(COUNT / PER_CLIENT_PROCESS));
const deafCount = Math.max(1, Math.floor(COUNT / 1000));
const started = Date.now();
const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const nodes = [];
const apps = [];
const clientProcs = [];
let finished = false;

/** A forked helper with a promise per awaited message type. */
function forkHelper(file, env) {
  // ROTATION_PROFILE_APPS=<dir>: each app instance writes a CPU profile there when it stops.
  const execArgv = file === 'app.mjs' && process.env.ROTATION_PROFILE_APPS ? ['--cpu-prof', `--cpu-prof-dir=${process.env.ROTATION_PROFILE_APPS}`] : [];
  const child = fork(path.join(here, 'rotation', file), [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const supervised = superviseChild(child, { quiet: true, keepChunks: 50 });
  const waiters = new Map();
  const handlers = new Map();
  child.on('message', (message) => {
    if (message.type === 'error') console.error(`${file}: ${message.message}`);
    handlers.get(message.type)?.(message);
    const waiting = waiters.get(message.type);
    if (waiting) {
      waiters.delete(message.type);
      waiting(message);
    }
  });
  return {
    child,
    ...supervised,
    send: (message) => child.send(message),
    on: (type, handler) => handlers.set(type, handler),
    next: (type) => new Promise((resolve, reject) => {
      waiters.set(type, resolve);
      supervised.exited.then(({ code, signal }) => reject(new Error(`${file} exited (${signal ?? code}) while waiting for ${type}:\n${supervised.output.join('').slice(-3000)}`)));
    }),
  };
}

async function ask(helper, message, reply) {
  const answer = helper.next(reply);
  helper.send(message);
  return answer;
}

async function portIsFree(port, host = '0.0.0.0') {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function teardown() {
  for (const helper of clientProcs) if (helper.child.connected) helper.send({ type: 'stop' });
  await Promise.all(clientProcs.map((helper) => Promise.race([helper.exited, sleep(10_000)]).then(() => helper.stop(2000))));
  for (const helper of apps) if (helper.child.connected) helper.send({ type: 'stop' });
  await Promise.all(apps.map((helper) => Promise.race([helper.exited, sleep(5000)]).then(() => helper.stop(2000))));
  await Promise.all(nodes.map((node) => node.stop(5000)));
  // Our keys only: the library's store and Soketi's adapter channels use prefixes of this run.
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  let removed = 0;
  for (const pattern of [`${redisPrefix}*`, `${soketiPrefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) removed += await redis.del(...keys);
    } while (cursor !== '0');
  }
  await redis.quit();
  const ports = [...nodes.flatMap((node) => [node.port, node.metricsPort]), ...apps.map((helper) => helper.port)];
  const held = [];
  for (const port of ports) if (!(await portIsFree(port))) held.push(port);
  log(`teardown: ${nodes.length} Soketi, ${apps.length} app and ${clientProcs.length} client processes stopped; ${removed} Redis keys removed; ports still held: ${held.length ? held.join(', ') : 'none'}`);
  return held;
}

// Ctrl-C or a kill: stop every process started here and remove this run's keys, as at the end.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    if (finished) return;
    finished = true;
    console.error(`\n${signal}: stopping everything`);
    await teardown().catch((error) => console.error(error));
    process.exit(130);
  });
}

const budget = setTimeout(async () => {
  if (finished) return;
  console.error(`\nrotation benchmark exceeded its budget of ${BUDGET_MS / 1000} s: stopping everything`);
  await teardown().catch((error) => console.error(error));
  process.exit(2);
}, BUDGET_MS);

let exitCode = 0;
try {
  console.log(
    `next-realtime rotation benchmark — ${new Date().toISOString().slice(0, 16)}Z, node ${process.version}, ${cpus().length} cores, load ${loadavg().map((n) => n.toFixed(1)).join(' ')}\n` +
      `${COUNT.toLocaleString('en-US')} connections, ${nodeCount} Soketi nodes over Redis, ${APPS} app instances, ${clientProcessCount} client processes, ` +
      `grace ${GRACE_MS / 1000} s, clients spread re-authentication over up to ${SPREAD_MS / 1000} s, ${deafCount} clients ignore rotations`,
  );
  for (let n = 0; n < nodeCount; n++) {
    nodes.push(await startSoketi({
      quiet: true,
      app,
      env: {
        SOKETI_ADAPTER_DRIVER: 'redis',
        SOKETI_ADAPTER_REDIS_PREFIX: soketiPrefix,
        SOKETI_DB_REDIS_HOST: new URL(REDIS_URL).hostname,
        SOKETI_DB_REDIS_PORT: new URL(REDIS_URL).port || '6379',
        SOKETI_DB_REDIS_KEY_PREFIX: soketiPrefix,
        SOKETI_DEFAULT_APP_MAX_CONNS: String(COUNT * 2),
        SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC: '-1',
        SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'true',
        // Sign-in happens after a token and an HTTP round trip: on a loaded machine that can be
        // slow while 40,000 clients connect; the default 30 s would close slow ones.
        SOKETI_USER_AUTHENTICATION_TIMEOUT: '120000',
      },
    }));
  }
  const rssBefore = nodes.map((node) => residentBytes(node.pid));
  log(`${nodeCount} Soketi nodes ready on ports ${nodes.map((node) => node.port).join(', ')}`);

  for (let a = 0; a < APPS; a++) {
    const node = nodes[a % nodes.length];
    const helper = forkHelper('app.mjs', {
      ROTATION_APP: JSON.stringify({
        soketi: { ...app, host: '127.0.0.1', port: node.port },
        tokenSecrets,
        redisUrl: REDIS_URL,
        redisPrefix,
      }),
    });
    const ready = await helper.next('ready');
    helper.base = ready.base;
    helper.port = ready.port;
    apps.push(helper);
  }
  log(`${APPS} app instances ready: ${apps.map((helper) => helper.base).join(', ')}`);

  // A token issued while the old key signs: afterwards it must verify nowhere.
  const oldToken = (await (await fetch(`${apps[0].base}/api/realtime/token`, { headers: { 'x-bench-user': 'old-token-holder' } })).json()).token;

  const deafIndexes = Array.from({ length: deafCount }, (_, k) => Math.floor((k + 0.5) * (COUNT / deafCount)));
  const perProcess = Math.ceil(COUNT / clientProcessCount);
  for (let p = 0; p < clientProcessCount; p++) {
    const first = p * perProcess;
    const count = Math.min(perProcess, COUNT - first);
    const helper = forkHelper('clients.mjs', {
      ROTATION_CLIENTS: JSON.stringify({
        key: app.key,
        host: `127.0.0.${2 + p}`,
        nodes: nodes.map((node) => node.port),
        apps: apps.map((helper) => helper.base),
        first,
        count,
        parallel: Number(process.env.ROTATION_CONNECT_PARALLEL ?? 200),
        userPrefix: 'user-',
        deaf: deafIndexes.filter((index) => index >= first && index < first + count),
        reauthSpreadMs: SPREAD_MS,
      }),
    });
    await helper.next('ready');
    helper.count = count;
    clientProcs.push(helper);
  }
  const connectStart = Date.now();
  const progress = new Array(clientProcessCount).fill(0);
  clientProcs.forEach((helper, p) => helper.on('progress', ({ connected, states, statuses, errors }) => { progress[p] = connected; if (process.env.ROTATION_DEBUG) console.log(`  p${p}: ${JSON.stringify({ states, statuses, errors })}`); }));
  const ticker = setInterval(() => log(`connected ${progress.reduce((a, b) => a + b, 0).toLocaleString('en-US')} / ${COUNT.toLocaleString('en-US')}`), 10_000);
  const connected = await Promise.all(clientProcs.map((helper) => ask(helper, { type: 'connect' }, 'connected')));
  clearInterval(ticker);
  const connectedCount = connected.reduce((sum, message) => sum + message.connected, 0);
  const connectMs = Date.now() - connectStart;
  log(`${connectedCount.toLocaleString('en-US')} connections signed in and subscribed in ${(connectMs / 1000).toFixed(1)} s`);
  await sleep(2000);
  const rssAfter = nodes.map((node) => residentBytes(node.pid));
  const soketiBytesPerConnection = (rssAfter.reduce((a, b) => a + b, 0) - rssBefore.reduce((a, b) => a + b, 0)) / connectedCount;

  // The rotation.
  const rotateStart = Date.now();
  for (const helper of clientProcs) helper.send({ type: 'rotation_started', at: rotateStart });
  const { status: startedStatus } = await ask(apps[0], { type: 'rotate', toKid: 'new', graceMs: GRACE_MS }, 'rotated');
  log(`rotation ${startedStatus.id} announced: ${startedStatus.pending + startedStatus.reauthenticated} connections to re-authenticate by ${new Date(startedStatus.deadline).toISOString().slice(11, 19)}Z`);
  let status = startedStatus;
  let atDeadline;
  const reportTicker = setInterval(async () => {
    const { status: now } = await ask(apps[1 % apps.length], { type: 'status', id: startedStatus.id }, 'status');
    log(`phase ${now.phase}: re-authenticated ${now.reauthenticated}, pending ${now.pending}, closed ${now.closed}`);
  }, 10_000);
  while (Date.now() < startedStatus.deadline - 200) await sleep(100);
  ({ status: atDeadline } = await ask(apps[0], { type: 'status', id: startedStatus.id }, 'status'));
  const clientReportsAtDeadline = await Promise.all(clientProcs.map((helper) => ask(helper, { type: 'report' }, 'report')));
  while (status.phase !== 'completed' && Date.now() < startedStatus.deadline + 120_000) {
    await sleep(250);
    ({ status } = await ask(apps[0], { type: 'status', id: startedStatus.id }, 'status'));
  }
  clearInterval(reportTicker);
  const completedAt = status.completedAt ?? Date.now();
  await sleep(3000);
  const clientReports = await Promise.all(clientProcs.map((helper) => ask(helper, { type: 'report' }, 'report')));
  const sum = (reports, key) => reports.reduce((total, { stats }) => total + stats[key], 0);

  // Old key: the token it signed before the rotation is refused everywhere now.
  const oldKeyAnswers = await Promise.all(apps.map(async (helper) => (await fetch(`${helper.base}/api/realtime/user-auth`, {
    method: 'POST',
    headers: { authorization: `Bearer ${oldToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'socket_id=1234.5678',
  })).status));

  const slotLists = await Promise.all(apps.map((helper) => ask(helper, { type: 'slots', from: rotateStart, paths: ['/api/realtime/token'] }, 'slots')));
  const merged = new Map();
  for (const { slots } of slotLists) for (const [slot, count] of slots) merged.set(slot, (merged.get(slot) ?? 0) + count);
  const tokenRequests = [...merged.values()].reduce((a, b) => a + b, 0);

  const able = connectedCount - deafCount;
  // When each client finished re-authenticating, in ms after start() was called.
  const finishedAt = clientReportsAtDeadline.flatMap(({ stats }) => stats.reauthenticatedAt).sort((a, b) => a - b);
  const at = (q) => (finishedAt.length ? `${(finishedAt[Math.min(finishedAt.length - 1, Math.floor(q * finishedAt.length))] / 1000).toFixed(1)} s` : '-');
  const reauthInTime = sum(clientReportsAtDeadline, 'reauthenticated');
  const drops = sum(clientReports, 'forcedAmongReauthenticated');
  const share = reauthInTime / able;
  const rows = [
    ['connections signed in and subscribed', `${connectedCount.toLocaleString('en-US')} of ${COUNT.toLocaleString('en-US')} (in ${(connectMs / 1000).toFixed(1)} s)`],
    ['re-authenticated before the deadline (clients)', `${reauthInTime.toLocaleString('en-US')} of ${able.toLocaleString('en-US')} able = ${(share * 100).toFixed(3)}% (target >= 99.9%)`],
    ['re-authenticated (server count at the deadline)', `${atDeadline.reauthenticated.toLocaleString('en-US')}, pending ${atDeadline.pending}`],
    ['forced disconnects among the re-authenticated', `${drops} (target 0; connection losses of any client after the announcement: ${sum(clientReports, 'dropsDuringRotation')}, before it: ${sum(clientReports, 'drops') - sum(clientReports, 'dropsDuringRotation')})`],
    ['stragglers closed after the deadline', `${status.closed} (clients that ignore rotations: ${deafCount}; clients told closed: ${sum(clientReports, 'closed')})`],
    ['deadline -> stragglers closed and old key retired', `${status.completedAt ? ((status.completedAt - startedStatus.deadline) / 1000).toFixed(1) : 'not completed'} s`],
    ['old key then verifies', `${oldKeyAnswers.every((code) => code === 401) ? 'nothing' : 'STILL ACCEPTED'} (user-auth with a pre-rotation token: ${oldKeyAnswers.join(', ')})`],
    ['re-authentication done (clients), after start()', `p50 ${at(0.5)}, p99 ${at(0.99)}, last ${at(1)} (deadline ${((startedStatus.deadline - rotateStart) / 1000).toFixed(1)} s)`],
    ['token requests during the rotation', `${tokenRequests.toLocaleString('en-US')}, peak ${peakPerSecond(merged).toLocaleString('en-US')}/s`],
    ['Soketi memory per connection', `${(soketiBytesPerConnection / 1024).toFixed(1)} KiB (RSS growth over ${nodeCount} nodes / connections)`],
    ['re-auth failures reported by clients', `${sum(clientReports, 'reauthFailed')}`],
  ];
  const errors = clientReports.flatMap(({ stats }) => stats.errors);
  console.log(`\n## rotation with ${COUNT.toLocaleString('en-US')} live connections`);
  for (const [name, value] of rows) console.log(`${name.padEnd(50)} ${value}`);
  if (errors.length) console.log(`first client errors:\n  ${errors.slice(0, 5).join('\n  ')}`);
  console.log(`client states at the end: ${JSON.stringify(clientReports.map(({ stats }) => stats.states))}`);
  const passed = connectedCount === COUNT && share >= 0.999 && drops === 0 && status.phase === 'completed' && oldKeyAnswers.every((code) => code === 401);
  if (!passed) exitCode = 1;
  console.log(`result: ${passed ? 'PASS' : 'FAIL'}`);
} catch (error) {
  exitCode = 1;
  console.error(error);
} finally {
  finished = true;
  clearTimeout(budget);
  const held = await teardown().catch((error) => {
    console.error(error);
    return ['?'];
  });
  if (held.length) exitCode = 1;
  log(`wall time ${((Date.now() - started) / 1000).toFixed(0)} s (budget ${BUDGET_MS / 1000} s)`);
  process.exit(exitCode);
}
