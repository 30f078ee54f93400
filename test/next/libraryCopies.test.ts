import { afterEach, expect, it } from 'vitest';
import { isRealtimeError, RealtimeError } from '../../src/index.js';
import { call, createApp, form } from './appFixture.js';

/**
 * Next.js (Turbopack) loads the library once for the route handlers and once more for server
 * components and server actions. The chat demo creates its connection control wherever it is
 * first used: after a page render read history, that is the server components' copy, so the
 * connection-limit hook throws that copy's RealtimeError into the route handlers' copy. Such an
 * error is still a RealtimeError there, answered with its own status (429), never a 500.
 */
const apps: Array<ReturnType<typeof createApp>> = [];
afterEach(async () => {
  for (const created of apps.splice(0)) await created.realtime.close();
});

/** A second instance of the errors module, as a second bundle of the library has. */
async function otherCopy(): Promise<typeof import('../../src/core/errors.js')> {
  const path = '../../src/core/errors.js?second-copy';
  return import(/* @vite-ignore */ path);
}

it('a RealtimeError from another copy of the library is a RealtimeError here', async () => {
  const other = await otherCopy();
  expect(other.RealtimeError).not.toBe(RealtimeError);
  const foreign = new other.RealtimeError('too_many_connections', 'limit reached');
  expect(foreign instanceof RealtimeError).toBe(true);
  expect(isRealtimeError(foreign, 'too_many_connections')).toBe(true);
  expect(new RealtimeError('forbidden', 'no') instanceof other.RealtimeError).toBe(true);
  // Nothing else passes for one.
  for (const value of [new Error('x'), { code: 'forbidden', name: 'RealtimeError' }, null, undefined, 'RealtimeError']) {
    expect(value instanceof RealtimeError).toBe(false);
  }
});

it("the route handlers answer a hook's RealtimeError from another copy with its status, not a 500", async () => {
  const other = await otherCopy();
  const created = createApp({
    hooks: {
      async onUserAuthenticate({ user }) {
        if (user.name === 'Bob') throw new other.RealtimeError('too_many_connections', 'Bob already has 3 connections');
      },
    },
  });
  apps.push(created);
  expect((await call(created, 'user-auth', form({ socket_id: '1.1' }, 'alice'))).status).toBe(200);
  const refused = await call(created, 'user-auth', form({ socket_id: '2.2' }, 'bob'));
  expect(refused.status).toBe(429);
  expect(refused.json).toEqual({ error: { code: 'too_many_connections', message: 'Bob already has 3 connections' } });
});
