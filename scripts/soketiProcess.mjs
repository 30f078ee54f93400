// Starts and stops a local Soketi as a plain child process (no Docker, no npx wrapper).
// Shared by the test harness, `npm run soketi` and `npm run demo`.
//
// Why not `npx soketi start`: npx runs npm, then a shell, then the real `soketi-server`; killing
// the wrapper leaves the server holding its port. We start the server's own entry point and stop
// that pid, with a bounded wait and then SIGKILL, because Soketi can ignore SIGTERM while it
// drains open connections.
import { spawn } from 'node:child_process';
import { superviseChild } from './childProcess.mjs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';

const require = createRequire(import.meta.url);

export const DEFAULT_APP = { appId: 'app-id', key: 'app-key', secret: 'app-secret' };

/** A port nobody holds right now (the OS picks it). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function soketiEntry() {
  const packageJson = require.resolve('@soketi/soketi/package.json');
  return path.join(path.dirname(packageJson), 'bin', 'server.js');
}

async function waitUntilReady(url, child, timeoutMs, output) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`soketi exited with code ${child.exitCode} before it was ready:\n${output.join('')}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`soketi did not become ready within ${timeoutMs} ms:\n${output.join('')}`);
}

/**
 * @param {{ port?: number, metricsPort?: number, app?: {appId:string,key:string,secret:string},
 *   env?: Record<string,string>, quiet?: boolean, readyTimeoutMs?: number }} [options]
 */
export async function startSoketi(options = {}) {
  const port = options.port ?? (await freePort());
  const metricsPort = options.metricsPort ?? (await freePort());
  const app = options.app ?? DEFAULT_APP;
  const env = {
    ...process.env,
    SOKETI_PORT: String(port),
    SOKETI_METRICS_SERVER_PORT: String(metricsPort),
    SOKETI_DEFAULT_APP_ID: app.appId,
    SOKETI_DEFAULT_APP_KEY: app.key,
    SOKETI_DEFAULT_APP_SECRET: app.secret,
    SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'true',
    SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'true',
    // aws-sdk v2 prints a maintenance notice on every start.
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    ...options.env,
  };
  const child = spawn(process.execPath, [soketiEntry(), 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited, stop } = superviseChild(child, { quiet: options.quiet, keepChunks: 200 });

  try {
    await waitUntilReady(`http://127.0.0.1:${port}/ready`, child, options.readyTimeoutMs ?? 20_000, output);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }

  return {
    host: '127.0.0.1',
    port,
    metricsPort,
    ...app,
    pid: child.pid,
    output,
    exited,
    /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
    stop: (graceMs = 3000) => stop(graceMs),
  };
}

/**
 * The variables that point next-realtime at this Soketi: the server's and the browser's
 * (`NEXT_PUBLIC_*`, which Next.js inlines at build time). One mapping for the demo and the tests.
 * @param {{ appId: string, key: string, secret: string, port: number }} soketi
 * @param {{ publicHost?: string }} [options] the host browsers connect to
 */
export function nextRealtimeEnv(soketi, { publicHost = '127.0.0.1' } = {}) {
  return {
    REALTIME_PROVIDER: 'soketi',
    SOKETI_APP_ID: soketi.appId,
    SOKETI_APP_KEY: soketi.key,
    SOKETI_APP_SECRET: soketi.secret,
    SOKETI_HOST: '127.0.0.1',
    SOKETI_PORT: String(soketi.port),
    NEXT_PUBLIC_REALTIME_PROVIDER: 'soketi',
    NEXT_PUBLIC_SOKETI_APP_KEY: soketi.key,
    NEXT_PUBLIC_SOKETI_HOST: publicHost,
    NEXT_PUBLIC_SOKETI_PORT: String(soketi.port),
    NEXT_PUBLIC_SOKETI_USE_TLS: 'false',
  };
}
