/**
 * `npm run demo` as a user runs it: one command starts Soketi and the chat app, the app answers,
 * and Ctrl-C (SIGINT) stops both and frees both ports. Ports are free ones (PORT, SOKETI_PORT)
 * so the test never collides with a demo someone is running on 3000/6001.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../scripts/chatApp.mjs';
import { freePort } from '../../scripts/soketiProcess.mjs';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let demo: ChildProcess | undefined;

afterAll(() => {
  // Only if an assertion failed half-way: the demo must not outlive the test.
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
});

describe('npm run demo', () => {
  it('starts Soketi and the app with one command; SIGINT stops both and frees the ports', async () => {
    const [appPort, soketiPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(appPort),
      SOKETI_PORT: String(soketiPort),
      NEXT_DIST_DIR: '.next-demo-test',
      REALTIME_PROVIDER: '',
      REALTIME_TOKEN_SECRETS: '',
    };
    const child = spawn(process.execPath, [path.join(repositoryRoot, 'scripts', 'demo.mjs')], {
      cwd: repositoryRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo = child;
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 300_000;
    while (!/next start pid \d+/.test(output)) {
      if (child.exitCode !== null) throw new Error(`demo exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`demo did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output).toContain(`http://localhost:${appPort}`);
    expect(output).toContain('generated one for this run');
    const soketiPid = Number(/Soketi is ready on ws:\/\/[^ ]+ \(pid (\d+)\)/.exec(output)![1]);
    const nextPid = Number(/next start pid (\d+)/.exec(output)![1]);

    const home = await fetch(`http://127.0.0.1:${appPort}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('next-realtime chat');
    const soketiReady = await fetch(`http://127.0.0.1:${soketiPort}/ready`);
    expect(soketiReady.status).toBe(200);
    // The app reaches its Soketi: an unauthenticated channel auth is refused by the app (401), not a 500.
    const auth = await fetch(`http://127.0.0.1:${appPort}/api/realtime/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'socket_id=1.2&channel_name=presence-room.lobby',
    });
    expect(auth.status).toBe(401);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(pidIsAlive(soketiPid)).toBe(false);
    expect(pidIsAlive(nextPid)).toBe(false);
    expect(await portIsFree(appPort)).toBe(true);
    expect(await portIsFree(soketiPort)).toBe(true);
  }, 400_000);
});
