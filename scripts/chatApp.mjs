// Builds and starts the example chat app (examples/chat) with `next build` / `next start`,
// as plain child processes whose pid is the server itself (no npx or shell in between), so
// stopping that pid frees the port. Shared by `npm run demo` and the browser tests.
import { spawn } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { superviseChild } from './childProcess.mjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const chatAppDir = path.join(repositoryRoot, 'examples', 'chat');

function nextBin(appDir = chatAppDir) {
  return path.join(path.dirname(require.resolve('next/package.json', { paths: [appDir] })), 'dist', 'bin', 'next');
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

/**
 * `next build` of examples/chat (or of a consumer copy of it at `appDir`). NEXT_PUBLIC_* values
 * in `env` are inlined into the bundle. `bundler: 'webpack'` builds with `--webpack` instead of
 * Next's default (Turbopack).
 */
export function buildChatApp({ env, distDir = '.next', quiet = false, appDir = chatAppDir, bundler = 'default' }) {
  const args = [nextBin(appDir), 'build', ...(bundler === 'webpack' ? ['--webpack'] : [])];
  return run(args, { env: { ...env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1' }, quiet, cwd: appDir });
}

/**
 * A user's app made from the demo, outside this repository: examples/chat's app/, components/,
 * lib/ and tsconfig.json, then `overlayDir`'s files on top, and a package.json that depends on
 * the packed library (`tarball`) and on `providerPackages` only, at examples/chat's versions.
 * No next.config: Next's defaults, as a new user has them. Installed from the local npm cache.
 */
export async function createConsumerApp({ dir, tarball, providerPackages, overlayDir, quiet = true }) {
  const demo = JSON.parse(await readFile(path.join(chatAppDir, 'package.json'), 'utf8'));
  const version = (name) => demo.dependencies[name] ?? demo.devDependencies[name];
  for (const part of ['app', 'components', 'lib', 'tsconfig.json']) {
    await cp(path.join(chatAppDir, part), path.join(dir, part), { recursive: true });
  }
  if (overlayDir) await cp(overlayDir, dir, { recursive: true });
  const dependencies = { 'next-realtime': `file:${tarball}` };
  for (const name of ['next', 'react', 'react-dom', 'zod', ...providerPackages]) dependencies[name] = version(name);
  const devDependencies = {};
  for (const name of ['typescript', '@types/node', '@types/react', '@types/react-dom']) devDependencies[name] = version(name);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module', dependencies, devDependencies }, null, 2));
  const npm = path.join(path.dirname(process.execPath), 'npm');
  return runCommand(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, quiet });
}

function runCommand(command, args, { cwd, quiet }) {
  return new Promise((resolve, reject) => {
    const output = [];
    const child = spawn(command, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!quiet) process.stdout.write(output.join(''));
      if (code === 0) resolve(output.join(''));
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (exit ${code}):\n${output.join('').slice(-6000)}`));
    });
  });
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
export async function startChatApp({ env, port, hostname = '127.0.0.1', distDir = '.next', quiet = false, readyTimeoutMs = 60_000, appDir = chatAppDir }) {
  const child = spawn(process.execPath, [nextBin(appDir), 'start', '--port', String(port), '--hostname', hostname], {
    cwd: appDir,
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
