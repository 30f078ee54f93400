import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REDIS_URL } from '../support/redisFixture.js';

const run = promisify(execFile);

/**
 * ioredis is an optional peer dependency: the built package must never load it unless a Redis URL
 * is configured. The script below makes `ioredis` impossible to import, then uses the package the
 * way an app does (npm test builds dist/ first).
 */
const script = (withRedis: boolean) => `
  import { register } from 'node:module';
  register('data:text/javascript,' + encodeURIComponent(
    "export async function resolve(specifier, context, next) {" +
    "  if (specifier === 'ioredis') throw Object.assign(new Error('ioredis is blocked in this test'), { code: 'ERR_MODULE_NOT_FOUND' });" +
    "  return next(specifier, context);" +
    "}"));
  const { createRealtime, createConnectionControl, createStateStore } = await import('next-realtime/server');
  const store = createStateStore(${withRedis ? `{ redisUrl: ${JSON.stringify(REDIS_URL)}, prefix: 'test:optional:' + process.pid + ':' }` : '{ redisUrl: "" }'});
  const control = createConnectionControl({ realtime: createRealtime({ provider: 'memory' }), tokenSecrets: 'k1:secret-0123456789', store });
  const out = { kind: store.kind };
  try {
    await control.hooks.onUserAuthenticate({ user: { id: 'u1' }, socketId: '1.1' });
    out.admitted = (await store.connections('u1')).length;
  } catch (error) {
    out.error = { code: error.code, message: error.message };
  }
  control.dispose();
  console.log(JSON.stringify(out));
`;

describe('the Redis client is optional', () => {
  it('without a Redis URL nothing imports ioredis', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script(false)], { timeout: 20_000, env: { ...process.env, REDIS_URL: '' } });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ kind: 'memory', admitted: 1 });
  });

  it('with REDIS_URL but no ioredis installed, the first use says what to install', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script(true)], { timeout: 20_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      kind: 'redis',
      error: { code: 'invalid_config', message: expect.stringContaining('npm install ioredis') },
    });
  });
});
