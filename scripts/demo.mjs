// `npm run demo`: the example chat (examples/chat) on http://localhost:3000 over a local Soketi,
// with no account anywhere. Builds what is missing (the library's dist/, the app's production
// build), starts Soketi (port 6001, SOKETI_PORT to change; started again if it dies) and
// `next start` (port 3000, PORT to change). Ctrl-C stops both.
//
// REALTIME_PROVIDER=pusher or ably runs the same app on that provider with its variables
// (PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET, PUSHER_CLUSTER / ABLY_API_KEY); no Soketi is started.
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { buildChatApp, buildLibrary, chatAppDir, repositoryRoot, startChatApp } from './chatApp.mjs';
import { nextRealtimeEnv, startSoketi } from './soketiProcess.mjs';

const provider = (process.env.REALTIME_PROVIDER || 'soketi').trim();
const appPort = Number(process.env.PORT || 3000);
// Where `next build` writes (relative to examples/chat); the tests use their own folder.
const distDir = process.env.NEXT_DIST_DIR || '.next';
const env = { ...process.env, REALTIME_PROVIDER: provider, NEXT_PUBLIC_REALTIME_PROVIDER: provider, NEXT_TELEMETRY_DISABLED: '1' };

function fail(message) {
  console.error(`\nnpm run demo: ${message}`);
  process.exit(1);
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    // Soketi (uWS) and Next listen on every interface; check the same.
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** Newest modification time under `dir`, skipping build output and dependencies. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // next-env.d.ts and *.tsbuildinfo are rewritten by every `next build`: not sources.
    if (['node_modules', 'dist', 'next-env.d.ts'].includes(entry.name) || entry.name.startsWith('.next') || entry.name.endsWith('.tsbuildinfo')) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

if (!['soketi', 'pusher', 'ably'].includes(provider)) {
  fail(`REALTIME_PROVIDER=${provider}: the demo runs on soketi (default), pusher or ably.`);
}
if (!(await portIsFree(appPort))) fail(`port ${appPort} is in use; stop what holds it or set PORT=...`);

// The library's JWTs (realtime tokens) and the demo's session cookie are keyed from this.
if (!env.REALTIME_TOKEN_SECRETS) {
  env.REALTIME_TOKEN_SECRETS = `demo-${Date.now().toString(36)}:${randomBytes(32).toString('base64url')}`;
  console.log('REALTIME_TOKEN_SECRETS is not set: generated one for this run (sessions end when the demo stops).');
}

// 1. The library, as the app imports it (package exports -> dist/).
const libraryStale = !existsSync(path.join(repositoryRoot, 'dist', 'server', 'index.js')) ||
  newestMtime(path.join(repositoryRoot, 'src')) > statSync(path.join(repositoryRoot, 'dist', 'server', 'index.js')).mtimeMs;
if (libraryStale) {
  console.log('Building the library (dist/)...');
  await buildLibrary({ quiet: true });
}

// 2. Soketi, unless another provider was chosen (restarted when it dies: see superviseSoketi).
let soketi;
let soketiApp;
if (provider === 'soketi') {
  const soketiPort = Number(process.env.SOKETI_PORT || 6001);
  if (!(await portIsFree(soketiPort))) {
    fail(`port ${soketiPort} is in use (another Soketi? \`npm run soketi\`?); stop it or set SOKETI_PORT=...`);
  }
  soketiApp = {
    appId: process.env.SOKETI_APP_ID || 'app-id',
    key: process.env.SOKETI_APP_KEY || 'app-key',
    secret: process.env.SOKETI_APP_SECRET || 'app-secret',
  };
  soketi = await startSoketi({ port: soketiPort, app: soketiApp, quiet: true });
  const publicHost = process.env.NEXT_PUBLIC_SOKETI_HOST || '127.0.0.1';
  Object.assign(env, nextRealtimeEnv(soketi, { publicHost }));
  console.log(`Soketi is ready on ws://${publicHost}:${soketi.port} (pid ${soketi.pid}).`);
} else if (provider === 'pusher') {
  env.NEXT_PUBLIC_PUSHER_KEY ||= env.PUSHER_KEY;
  env.NEXT_PUBLIC_PUSHER_CLUSTER ||= env.PUSHER_CLUSTER;
}

// Check the server configuration now, with the library's own message listing every problem.
try {
  const { loadConfigFromEnv } = await import('next-realtime/server');
  loadConfigFromEnv(env);
} catch (error) {
  await soketi?.stop();
  fail(error.message);
}

let app;
let shuttingDown = false;
async function shutdown(code) {
  shuttingDown = true;
  await Promise.all([app?.stop(), soketi?.stop()]);
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.log('\nStopping the app and Soketi...');
    void shutdown(0);
  });
}

// 3. The app's production build. NEXT_PUBLIC_* values are inlined at build time, so the build
// is redone when they (or the sources) change.
const publicEnv = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('NEXT_PUBLIC_')).sort());
const fingerprint = createHash('sha256')
  .update(JSON.stringify({ publicEnv, app: newestMtime(chatAppDir), lib: statSync(path.join(repositoryRoot, 'dist', 'server', 'index.js')).mtimeMs }))
  .digest('hex');
const stampFile = path.join(chatAppDir, distDir, 'demo-build-fingerprint');
const built = existsSync(path.join(chatAppDir, distDir, 'BUILD_ID')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === fingerprint;
if (!built) {
  console.log('Building the chat app (next build; a minute or two the first time)...');
  try {
    await buildChatApp({ env, distDir, quiet: !process.env.DEMO_VERBOSE });
  } catch (error) {
    console.error(error.message);
    await shutdown(1);
  }
  writeFileSync(stampFile, fingerprint);
}

// 4. The app.
try {
  app = await startChatApp({ env, port: appPort, hostname: '0.0.0.0', distDir, quiet: true });
} catch (error) {
  console.error(error.message);
  await shutdown(1);
}
app.exited.then(({ code, signal }) => {
  if (shuttingDown) return;
  console.error(`next start exited (${signal ?? `code ${code}`}):\n${app.output.join('').slice(-3000)}`);
  void shutdown(1);
});
/**
 * Soketi died (crashed, killed, OOM): start it again on the same port, so the app keeps working
 * and the page's badge goes `reconnecting` -> `connected` (the clients back off with jitter and
 * come back on their own). A Soketi that keeps dying right after starting stops the demo.
 */
const MAX_RESTARTS_PER_MINUTE = 5;
const restarts = [];
function superviseSoketi(current) {
  current.exited.then(async ({ code, signal }) => {
    if (shuttingDown) return;
    console.error(`\nSoketi exited (${signal ?? `code ${code}`}); restarting it on port ${current.port}...`);
    const now = Date.now();
    while (restarts.length && restarts[0] < now - 60_000) restarts.shift();
    if (restarts.length >= MAX_RESTARTS_PER_MINUTE) {
      console.error(`Soketi died ${MAX_RESTARTS_PER_MINUTE} times within a minute; stopping:\n${current.output.join('').slice(-3000)}`);
      return void shutdown(1);
    }
    restarts.push(now);
    try {
      soketi = await startSoketi({ port: current.port, metricsPort: current.metricsPort, app: soketiApp, quiet: true });
    } catch (error) {
      if (shuttingDown) return;
      console.error(`Soketi did not start again: ${error.message}`);
      return void shutdown(1);
    }
    if (shuttingDown) return void soketi.stop();
    console.log(`Soketi is ready again on port ${soketi.port} (pid ${soketi.pid}); the page reconnects by itself.`);
    superviseSoketi(soketi);
  });
}
if (soketi) superviseSoketi(soketi);
console.log(`\n  next-realtime chat on ${provider}: http://localhost:${appPort} (next start pid ${app.pid})\n  Open it in two browser windows (one private) to chat with yourself. Ctrl-C stops everything.\n`);
