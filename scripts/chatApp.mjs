// Builds and starts the example chat app (examples/chat) with `next build` / `next start`,
// as plain child processes whose pid is the server itself (no npx or shell in between), so
// stopping that pid frees the port. Shared by `npm run demo` and the browser tests.
import { spawn } from 'node:child_process';
import { superviseChild } from './childProcess.mjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const chatAppDir = path.join(repositoryRoot, 'examples', 'chat');

function nextBin() {
  return path.join(path.dirname(require.resolve('next/package.json', { paths: [chatAppDir] })), 'dist', 'bin', 'next');
}

function run(args, { env, quiet, cwd = chatAppDir }) {
  return new Promise((resolve, reject) => {
    const output = [];
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => {
      output.push(chunk.toString());
      if (!quiet) process.stdout.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(output.join(''));
      else reject(new Error(`${path.basename(args[0])} ${args.slice(1).join(' ')} failed (${signal ?? `exit ${code}`}):\n${output.join('').slice(-6000)}`));
    });
  });
}

/** `next build` of examples/chat. NEXT_PUBLIC_* values in `env` are inlined into the bundle. */
export function buildChatApp({ env, distDir = '.next', quiet = false }) {
  return run([nextBin(), 'build'], { env: { ...env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1' }, quiet });
}

/** tsup build of the library (dist/), which the app imports through the package's exports. */
export function buildLibrary({ quiet = false } = {}) {
  const tsup = path.join(path.dirname(require.resolve('tsup/package.json')), 'dist', 'cli-default.js');
  return run([tsup], { env: process.env, quiet, cwd: repositoryRoot });
}

/**
 * `next start` on `port`; resolves once it answers HTTP. `stop()` sends SIGTERM, then SIGKILL
 * after `graceMs`, and resolves once the process is gone.
 */
export async function startChatApp({ env, port, hostname = '127.0.0.1', distDir = '.next', quiet = false, readyTimeoutMs = 60_000 }) {
  const child = spawn(process.execPath, [nextBin(), 'start', '--port', String(port), '--hostname', hostname], {
    cwd: chatAppDir,
    env: { ...env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output, exited, hasExited, stop: stopChild } = superviseChild(child, { quiet, echoTo: process.stdout });
  const url = `http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${port}`;
  const stop = (graceMs = 5000) => stopChild(graceMs);

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (hasExited()) {
      throw new Error(`next start exited before it answered:\n${output.join('').slice(-6000)}`);
    }
    try {
      const response = await fetch(url, { redirect: 'manual' });
      await response.body?.cancel();
      break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`next start did not answer on ${url} within ${readyTimeoutMs} ms:\n${output.join('').slice(-6000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, port, pid: child.pid, output, exited, stop };
}
