import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers, socketIdFromHeaders } from '../../src/next/index.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { eventually } from '../support/events.js';

/**
 * An app written for Laravel Echo moves to next-realtime unchanged: the real `laravel-echo`
 * (broadcaster 'reverb', pusher-js underneath) against the library's route handlers mounted at
 * Echo's default path (/broadcasting/[...path] -> /broadcasting/auth, /broadcasting/user-auth)
 * over real HTTP, and a real Soketi. pusher-js in Node sends no cookies, so the test's "session"
 * is a header Echo adds to its auth requests (`auth.headers`), as it would a CSRF token.
 */
interface User {
  id: string;
  name: string;
}
const users: Record<string, User> = { alice: { id: 'alice', name: 'Alice' }, bob: { id: 'bob', name: 'Bob' } };
const channels = defineChannels({
  'private-orders.{orderId}': (user: User, { orderId }) => orderId === '1' || (orderId === '2' && user.id === 'bob'),
  'presence-room.{roomId}': (user: User) => ({ id: user.id, info: { name: user.name } }),
});

let soketi: SoketiProcess;
let realtime: Realtime;
let app: Server;
let appUrl: string;
const echoes: Echo<'reverb'>[] = [];

beforeAll(async () => {
  soketi = await startSoketi({ quiet: true });
  realtime = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port });
  const handlers = createRealtimeHandlers<User>({
    realtime,
    channels,
    getUser: (request) => users[request.headers.get('x-session-user') ?? ''] ?? null,
    userFromToken: () => null,
    presenceInfoWithId: true,
  });
  app = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') headers.set(name, value);
    const request = new Request(url, { method: incoming.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    let response: Response;
    if (url.pathname.startsWith('/broadcasting/')) {
      const path = url.pathname.slice('/broadcasting/'.length).split('/');
      response = await (incoming.method === 'GET' ? handlers.GET : handlers.POST)(request, { params: Promise.resolve({ path }) });
    } else if (url.pathname === '/orders/1/ship') {
      // A Laravel controller's `broadcast(new OrderShipped($order))->toOthers()`: the sender's
      // socket id arrives as X-Socket-ID (Echo's axios/jQuery/Turbo interceptors add it).
      await realtime.publish('private-orders.1', 'OrderShipped', { orderId: '1' }, { socketId: socketIdFromHeaders(request.headers) });
      response = new Response(null, { status: 204 });
    } else {
      response = new Response('not found', { status: 404 });
    }
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const echo of echoes) echo.disconnect();
  await new Promise((resolve) => app?.close(resolve));
  await realtime?.close();
  await soketi?.stop();
});

function echoFor(user: string): Echo<'reverb'> {
  const echo = new Echo({
    broadcaster: 'reverb',
    Pusher,
    key: soketi.key,
    wsHost: soketi.host,
    wsPort: soketi.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    // Echo's defaults are /broadcasting/auth and /broadcasting/user-auth on the page's origin.
    authEndpoint: `${appUrl}/broadcasting/auth`,
    userAuthentication: { endpoint: `${appUrl}/broadcasting/user-auth`, transport: 'ajax', headers: { 'x-session-user': user } },
    auth: { headers: { 'x-session-user': user } },
  });
  echoes.push(echo);
  return echo;
}

async function connected(echo: Echo<'reverb'>): Promise<string> {
  await eventually(() => expect(echo.socketId()).toMatch(/^\d+\.\d+$/), 10_000);
  return echo.socketId()!;
}

describe('Laravel Echo against the route handlers and Soketi', () => {
  it('private channels: an allowed subscription receives events, a refused one reports 403', async () => {
    const alice = echoFor('alice');
    const received: unknown[] = [];
    let subscribed = false;
    alice
      .private('orders.1')
      .subscribed(() => (subscribed = true))
      .listen('.OrderShipped', (data: unknown) => received.push(data));
    const refusals: unknown[] = [];
    alice.private('orders.2').error((error: unknown) => refusals.push(error));
    await eventually(() => expect(subscribed).toBe(true), 10_000);

    await realtime.publish('private-orders.1', 'OrderShipped', { orderId: '1', status: 'shipped' });
    await eventually(() => expect(received).toEqual([{ orderId: '1', status: 'shipped' }]));
    await eventually(() => expect(refusals).toHaveLength(1));
    expect(refusals[0]).toMatchObject({ type: 'AuthError', status: 403 });
  });

  it('presence: here() lists members with their id, joining() and leaving() follow', async () => {
    const alice = echoFor('alice');
    const here: unknown[][] = [];
    const joined: unknown[] = [];
    const left: unknown[] = [];
    alice
      .join('room.7')
      .here((members: unknown[]) => here.push(members))
      .joining((member: unknown) => joined.push(member))
      .leaving((member: unknown) => left.push(member));
    await eventually(() => expect(here).toEqual([[{ id: 'alice', name: 'Alice' }]]), 10_000);

    const bob = echoFor('bob');
    bob.join('room.7');
    await eventually(() => expect(joined).toEqual([{ id: 'bob', name: 'Bob' }]), 10_000);
    bob.leave('room.7');
    await eventually(() => expect(left).toEqual([{ id: 'bob', name: 'Bob' }]), 10_000);
  });

  it('whispers reach the other members of a presence channel', async () => {
    const alice = echoFor('alice');
    const bob = echoFor('bob');
    const typing: unknown[] = [];
    let bobHere = false;
    bob
      .join('room.8')
      .here(() => (bobHere = true))
      .listenForWhisper('typing', (data: unknown) => typing.push(data));
    let aliceHere = false;
    const room = alice.join('room.8').here(() => (aliceHere = true));
    await eventually(() => expect(aliceHere && bobHere).toBe(true), 10_000);
    room.whisper('typing', { name: 'Alice' });
    await eventually(() => expect(typing).toEqual([{ name: 'Alice' }]));
  });

  it('toOthers(): a request carrying X-Socket-ID reaches every subscriber but its sender', async () => {
    const alice = echoFor('alice');
    const bob = echoFor('bob');
    const got: Record<string, unknown[]> = { alice: [], bob: [] };
    let ready = 0;
    for (const [name, echo] of [['alice', alice], ['bob', bob]] as const) {
      echo
        .private('orders.1')
        .subscribed(() => (ready += 1))
        .listen('.OrderShipped', (data: unknown) => got[name]!.push(data));
    }
    await eventually(() => expect(ready).toBe(2), 10_000);
    const socketId = await connected(alice);
    const response = await fetch(`${appUrl}/orders/1/ship`, { method: 'POST', headers: { 'X-Socket-Id': socketId } });
    expect(response.status).toBe(204);
    await eventually(() => expect(got.bob).toEqual([{ orderId: '1' }]));
    // A later event to both proves alice was listening all along.
    await realtime.publish('private-orders.1', 'OrderShipped', { orderId: '1', again: true });
    await eventually(() => expect(got.alice).toEqual([{ orderId: '1', again: true }]));
    expect(got.bob).toEqual([{ orderId: '1' }, { orderId: '1', again: true }]);
  });

  it('Echo.connector.signin() signs the connection in through /broadcasting/user-auth', async () => {
    const alice = echoFor('alice');
    await connected(alice);
    alice.connector.signin();
    await alice.connector.pusher.user.signinDonePromise;
    expect(alice.connector.pusher.user.user_data).toMatchObject({ id: 'alice' });
    // terminateUser() (logout) now reaches this connection: Soketi closes it.
    const closed = new Promise<void>((resolve) => alice.connector.pusher.connection.bind('state_change', (change: { current: string }) => {
      if (change.current === 'disconnected' || change.current === 'unavailable' || change.current === 'failed') resolve();
    }));
    await realtime.terminateUser('alice');
    await closed;
  });
});
