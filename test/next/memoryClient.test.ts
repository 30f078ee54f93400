import { afterEach, describe, expect, it } from 'vitest';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createRealtime } from '../../src/server/index.js';
import { collect, eventually } from '../support/events.js';
import { signedInAs } from '../support/routeFetch.js';
import { channels, getUser, USERS, type User } from './appFixture.js';

/**
 * The library's own browser client against the route handlers, on the memory provider (what
 * users run in their tests): the client's default form POST to /api/realtime/auth must be what
 * the handler accepts, and the memory hub checks the signature the handler returned.
 */
let counter = 0;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function setup() {
  const hub = `next-memory-${process.pid}-${counter++}`;
  const realtime = createRealtime({ provider: 'memory', hub });
  const handlers = createRealtimeHandlers<User>({
    realtime,
    channels,
    getUser,
    userFromToken: (claims) => Object.values(USERS).find((user) => user.id === claims.sub) ?? null,
    tokenSecrets: 'k1:memory-test-secret',
  });
  const client = (session: string): RealtimeClient => {
    // The client's fetch goes straight into the route handlers (no HTTP server needed).
    const created = createRealtimeClient({ provider: 'memory', hub, ...signedInAs(handlers, session) });
    cleanup.push(() => created.disconnect());
    return created;
  };
  cleanup.push(() => realtime.close());
  return { realtime, client };
}

describe('createRealtimeClient (memory provider) through the route handlers', () => {
  it('subscribes to private and presence channels the policy allows and receives publishes; the sender can be excluded', async () => {
    const { realtime, client } = setup();
    const alice = client('alice');
    const orders = collect(alice, 'private-orders.42', 'order.updated');
    const room = collect(alice, 'presence-room.1', 'hello');
    await alice.whenSubscribed('private-orders.42');
    await alice.whenSubscribed('presence-room.1');
    expect(alice.members('presence-room.1')).toEqual([{ id: 'u1', info: { name: 'Alice' } }]);
    await realtime.publish('private-orders.42', 'order.updated', { status: 'paid' });
    await realtime.publish('presence-room.1', 'hello', 1, { socketId: alice.socketId });
    await realtime.publish('presence-room.1', 'hello', 2);
    expect(await orders.waitFor(1)).toEqual([{ status: 'paid' }]);
    expect(await room.waitFor(1)).toEqual([2]);
  });

  it('a refused user gets a forbidden error and receives nothing', async () => {
    const { realtime, client } = setup();
    const bob = client('bob');
    const got = collect(bob, 'private-orders.42', 'order.updated');
    await expect(bob.whenSubscribed('private-orders.42')).rejects.toMatchObject({ code: 'forbidden' });
    await realtime.publish('private-orders.42', 'order.updated', { status: 'paid' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got.received).toEqual([]);
    // The connection itself stays up: only the channel was refused.
    await eventually(() => expect(bob.socketId).toBeDefined());
  });
});
