import { afterEach, describe, expect, it } from 'vitest';
import { createRealtimeClient, REAUTH_REQUIRED_EVENT, SYSTEM_CHANNEL, type RealtimeClient } from '../../src/client/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createRealtime } from '../../src/server/index.js';
import { collect, eventually } from '../support/events.js';
import { routeFetch, sessionHeaders, signedInAs, type RouteRequest } from '../support/routeFetch.js';
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
  return { realtime, handlers, hub, client };
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

  it('re-authenticating after reauth_required is one request: a token and its sign-in; from a server that does not sign in along, or with the sign-in on another route, POST /user-auth follows', async () => {
    for (const setting of ['library handlers', 'older server', 'sign-in on another route'] as const) {
      const olderServer = setting === 'older server';
      const elsewhere = setting === 'sign-in on another route' ? { userAuthEndpoint: '/broadcasting/user-auth' } : {};
      const { realtime, handlers, hub } = setup();
      const requests: RouteRequest[] = [];
      const toHandlers = routeFetch(handlers, { record: requests });
      // An older server: the same handlers, without the sign-in in the token answer.
      const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
        const response = await toHandlers(input, init);
        if (!olderServer || !String(input).includes('/token')) return response;
        const { userAuthentication: _dropped, ...body } = (await response.json()) as Record<string, unknown>;
        return Response.json(body);
      }) as typeof globalThis.fetch;
      // No connection channel: these handlers run without connection control.
      const alice = createRealtimeClient({ provider: 'memory', hub, fetch, headers: sessionHeaders('alice'), reauthSpreadMs: 0, connectionChannel: false, ...elsewhere });
      cleanup.push(() => alice.disconnect());
      const orders = collect(alice, 'private-orders.42', 'order.updated');
      await alice.whenSubscribed('private-orders.42');
      const socketId = alice.socketId;
      const reauthenticated = new Promise((resolve) => alice.on('reauthenticated', resolve));
      const failures: unknown[] = [];
      alice.on('reauth_failed', (error) => failures.push(error));
      const from = requests.length;
      const notice = { rotationId: 'r-1', deadline: Date.now() + 5000 };
      // As a rotation announces it: `realtime:` events are reserved, so through the provider itself.
      await (await realtime.getProvider()).publish({ channels: [SYSTEM_CHANNEL], event: REAUTH_REQUIRED_EVENT, data: notice, json: JSON.stringify(notice) });
      expect(await reauthenticated).toEqual({ rotationId: 'r-1' });
      expect(failures).toEqual([]);
      // [endpoint, status, socket, whether the handlers' token answer carried the sign-in] (the
      // "older server" drops it on the way, so its client signs in with POST /user-auth).
      const expected = {
        'library handlers': [['token', 200, socketId, true]],
        'older server': [['token', 200, socketId, true], ['user-auth', 200, socketId, false]],
        'sign-in on another route': [['token', 200, socketId, false], ['user-auth', 200, socketId, false]],
      }[setting];
      expect(requests.slice(from).map((request) => [request.endpoint, request.status, request.socketId, request.signedIn]), setting).toEqual(expected);
      // The hub checked the sign-in's signature for this socket (as Soketi does): still connected, same socket, still receiving.
      expect(alice.state).toBe('connected');
      expect(alice.socketId).toBe(socketId);
      await realtime.publish('private-orders.42', 'order.updated', { after: 'rotation' });
      expect(await orders.waitFor(1)).toEqual([{ after: 'rotation' }]);
    }
  });
});
