// Channel authorization. In process: the library's signing and fetch handler against the SDK's
// authorizeChannel(). Over HTTP: POST /api/realtime/auth of the example chat app built with
// `next build` and served by `next start` (session cookie, policy, validation, connection
// control, signing), against a bare node:http server calling pusher.authorizeChannel().
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import path from 'node:path';
import Pusher from 'pusher';
import { defineChannels } from '../../dist/index.js';
import { createRealtimeFetchHandler } from '../../dist/next/index.js';
import { createRealtime } from '../../dist/server/index.js';
import { buildChatApp, chatAppDir, repositoryRoot, startChatApp } from '../../scripts/chatApp.mjs';
import { superviseChild } from '../../scripts/childProcess.mjs';
import { freePort, nextRealtimeEnv } from '../../scripts/soketiProcess.mjs';
import { compare, compareMany, nowMs, percentile, rate, selected } from '../harness.mjs';

export const figureNames = ['authorizeChannel', 'POST /auth'];

const BENCH_DIST_DIR = '.next-bench';

/** `count` POSTs, `concurrency` at a time over keep-alive sockets: req/s and latency. */
async function load(url, count, concurrency, headers, body) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  let next = 0;
  const target = new URL(url);
  const one = (i) => new Promise((resolve, reject) => {
    const start = nowMs();
    const request = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => {
        if (response.statusCode !== 200 || !text.includes('"auth"')) return reject(new Error(`${url} answered ${response.statusCode}: ${text.slice(0, 300)}`));
        latencies.push(nowMs() - start);
        resolve();
      });
    });
    request.on('error', reject);
    request.end(body(i));
  });
  const start = nowMs();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await one(next++);
  }));
  const seconds = (nowMs() - start) / 1000;
  agent.destroy();
  return { throughput: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** The example app's session cookie (examples/chat/lib/session.ts), made the way it makes it. */
function chatSessionCookie(sessionSecret, user) {
  const key = createHmac('sha256', sessionSecret).update('example-chat session cookie').digest();
  const payload = Buffer.from(JSON.stringify({ ...user, exp: Date.now() + 3_600_000 })).toString('base64url');
  return `chat_session=${encodeURIComponent(`${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`)}`;
}

/** Newest modification time under dist/ (the library the app bundles). */
function newestDistChange() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(path.join(repositoryRoot, 'dist'));
  return newest;
}

async function startBareServer(soketi) {
  const child = spawn(process.execPath, [path.join(repositoryRoot, 'bench', 'bareAuthServer.mjs')], {
    env: { ...process.env, APP_ID: soketi.appId, APP_KEY: soketi.key, APP_SECRET: soketi.secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, stop } = superviseChild(child, { quiet: true });
  const deadline = Date.now() + 15_000;
  let port;
  while (!(port = /listening (\d+)/.exec(output.join(''))?.[1])) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`bare auth server did not start:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://127.0.0.1:${port}/auth`, stop };
}

async function overHttp(soketi) {
  const tokenSecret = `bench:${crypto.randomUUID()}`;
  const sessionSecret = crypto.randomUUID();
  const env = {
    ...process.env,
    ...nextRealtimeEnv(soketi),
    REALTIME_TOKEN_SECRETS: tokenSecret,
    SESSION_SECRET: sessionSecret,
    NEXT_TELEMETRY_DISABLED: '1',
  };
  delete env.REDIS_URL;
  const buildId = path.join(chatAppDir, BENCH_DIST_DIR, 'BUILD_ID');
  // NEXT_PUBLIC_* values are inlined at build time, and /auth does not read them: a build is
  // reused while dist/ is unchanged.
  if (!existsSync(buildId) || statSync(buildId).mtimeMs < newestDistChange()) {
    const buildStart = Date.now();
    await buildChatApp({ env, distDir: BENCH_DIST_DIR, quiet: true });
    console.log(`   next build of examples/chat: ${((Date.now() - buildStart) / 1000).toFixed(0)} s`);
  }
  const app = await startChatApp({ env, port: await freePort(), distDir: BENCH_DIST_DIR, quiet: true });
  const bare = await startBareServer(soketi);
  try {
    const user = { id: 'bench-user', name: 'Bench' };
    const form = (i) => `socket_id=${1000 + i}.${i + 7}&channel_name=private-notifications.${user.id}`;
    const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
    const count = Number(process.env.BENCH_AUTH_REQUESTS ?? 3000);
    await compareMany('POST /auth over HTTP', {
      throughput: { name: 'POST /auth: next start (chat app) vs bare node:http + SDK', unit: 'req/s' },
      p50: { name: 'POST /auth over HTTP, p50 (32 in flight)', unit: 'ms', lowerIsBetter: true },
      p99: { name: 'POST /auth over HTTP, p99 (32 in flight)', unit: 'ms', lowerIsBetter: true },
    },
      () => load(`${app.url}/api/realtime/auth`, count, 32, { ...formHeaders, cookie: chatSessionCookie(sessionSecret, user) }, form),
      () => load(bare.url, count, 32, formHeaders, form),
      { rounds: Number(process.env.BENCH_AUTH_ROUNDS ?? 3) },
    );
  } finally {
    await bare.stop();
    await app.stop();
  }
}

export async function run({ soketi }) {
  const credentials = { appId: soketi.appId, key: soketi.key, secret: soketi.secret };
  const realtime = createRealtime({ provider: 'soketi', ...credentials, host: soketi.host, port: soketi.port });
  const signer = realtime.auth; // the provider's SDK-free auth part: what /auth signs with
  const raw = new Pusher({ ...credentials, host: soketi.host, port: String(soketi.port), useTLS: false });

  await compare('authorizeChannel private (in process)', 'ops/s',
    () => rate(20000, (i) => signer.authorizeChannel(`${i}.1`, 'private-orders.1')),
    () => rate(20000, (i) => raw.authorizeChannel(`${i}.1`, 'private-orders.1')),
  );
  await compare('authorizeChannel presence (in process)', 'ops/s',
    () => rate(20000, (i) => signer.authorizeChannel(`${i}.1`, 'presence-room.1', { id: 'u1', info: { name: 'A' } })),
    () => rate(20000, (i) => raw.authorizeChannel(`${i}.1`, 'presence-room.1', { user_id: 'u1', user_info: { name: 'A' } })),
  );

  // The fetch handler in process: Request in, Response out, against a hand-written one.
  const handler = createRealtimeFetchHandler({
    realtime,
    channels: defineChannels({ 'private-orders.{orderId}': (user, { orderId }) => orderId === '1' || user.id === 'admin' }),
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
    return Response.json(raw.authorizeChannel(String(form.get('socket_id')), String(form.get('channel_name'))));
  };
  await compare('POST /auth fetch handler in process (vs hand-written, no policy)', 'req/s',
    () => rate(5000, async (i) => { const response = await handler(authRequest(i), 'auth'); if (response.status !== 200) throw new Error(await response.text()); await response.json(); }),
    () => rate(5000, async (i) => { const response = await handWritten(authRequest(i)); await response.json(); }),
  );
  await realtime.close();

  if (selected('POST /auth over HTTP')) await overHttp(soketi);
}
