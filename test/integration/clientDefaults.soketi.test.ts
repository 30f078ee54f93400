import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { nextRealtimeEnv, startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { collect, eventually, waitForState } from '../support/events.js';

/**
 * Default client options against a real Soketi that requires user authentication and closes
 * unauthenticated connections after 2.5 s (`pusher:error` 4009), as the README's setup runs it.
 * The client gets nothing but its `fetch` (the route handlers, in-process) and a session cookie;
 * the rest comes from the NEXT_PUBLIC_* variables, as in a Next.js app.
 */
const USER_AUTH_TIMEOUT_MS = 2500;
interface User {
  id: string;
}
const sessions = new Map<string, User>([
  ['s-ann', { id: 'ann' }],
  ['s-ben', { id: 'ben' }],
  ['s-cy', { id: 'cy' }],
]);
const channels = defineChannels({
  'private-notes.{id}': (user: User, { id }) => user.id === id,
});

let soketi: SoketiProcess;
let realtime: Realtime;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  soketi = await startSoketi({ quiet: true, env: { SOKETI_USER_AUTHENTICATION_TIMEOUT: String(USER_AUTH_TIMEOUT_MS) } });
  for (const [name, value] of Object.entries(nextRealtimeEnv(soketi))) vi.stubEnv(name, value);
  realtime = createRealtime();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await realtime?.close();
  await soketi?.stop();
});

/** The app's route handlers as the client's fetch; `session` is the visitor's cookie, if any. */
function routeFetch(session: string | undefined, extra: { signInGuests?: boolean } = {}): typeof fetch {
  const app = createRealtimeHandlers<User>({
    realtime,
    channels,
    getUser: (request) => sessions.get(/session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1] ?? '') ?? null,
    tokenSecrets: 'k1:client-defaults-secret-0123456789abcdef',
    log: () => undefined,
    ...extra,
  });
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    if (session) headers.set('cookie', `session=${session}`);
    const request = new Request(new URL(String(input), 'http://app.test'), { ...init, headers });
    return request.method === 'GET' ? app.GET(request) : app.POST(request);
  }) as typeof fetch;
}

function defaultClient(session: string | undefined, extra: { signInGuests?: boolean } = {}): RealtimeClient {
  const client = createRealtimeClient({ fetch: routeFetch(session, extra) });
  clients.push(client);
  return client;
}

/** Every state the client goes through from now on. */
function states(client: RealtimeClient): string[] {
  const seen: string[] = [];
  client.onStateChange((state) => seen.push(state));
  return seen;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('default client options on a Soketi with user authentication (timeout 2.5 s)', () => {
  it('a signed-in user on a public channel and on a private channel is still connected and receiving 5 s later', async () => {
    const ann = defaultClient('s-ann');
    const ben = defaultClient('s-ben');
    const news = collect(ann, 'news', 'headline');
    const notes = collect(ben, 'private-notes.ben', 'note');
    await Promise.all([ann.whenSubscribed('news'), ben.whenSubscribed('private-notes.ben')]);
    expect(ann.provider).toBe('soketi');
    const sockets = [ann.socketId, ben.socketId];
    const seen = [states(ann), states(ben)];

    await sleep(2 * USER_AUTH_TIMEOUT_MS);
    await realtime.publish('news', 'headline', 'still here');
    await realtime.publish('private-notes.ben', 'note', 'still here');
    expect(await news.waitFor(1)).toEqual(['still here']);
    expect(await notes.waitFor(1)).toEqual(['still here']);
    // The same connections, never dropped.
    expect([ann.state, ben.state]).toEqual(['connected', 'connected']);
    expect([ann.socketId, ben.socketId]).toEqual(sockets);
    expect(seen).toEqual([[], []]);
  }, 20_000);

  it('logout (terminateUser) closes a default signed-in client, which says so and stays closed', async () => {
    const cy = defaultClient('s-cy');
    const ann = defaultClient('s-ann');
    cy.subscribe('news', 'headline', () => {});
    ann.subscribe('news', 'headline', () => {});
    await Promise.all([cy.whenSubscribed('news'), ann.whenSubscribed('news')]);
    // Signing in follows the connect; give it a moment before logging out.
    await sleep(300);
    await realtime.terminateUser('cy');
    await waitForState(cy, 'disconnected', 5000);
    expect(cy.error).toMatchObject({ code: 'closed', details: { closeCode: 4009, reason: 'logout' } });
    await sleep(1000);
    expect(cy.state).toBe('disconnected');
    expect(ann.state).toBe('connected');
  }, 20_000);

  it('an anonymous visitor receives a public channel; a private channel fails for that channel only', async () => {
    const visitor = defaultClient(undefined, { signInGuests: true });
    const news = collect(visitor, 'news', 'headline');
    const refused = new Promise<Error>((resolve) => visitor.on('subscription_error', ({ error }) => resolve(error)));
    visitor.subscribe('private-notes.ann', 'note', () => {});
    await visitor.whenSubscribed('news');
    expect(await refused).toMatchObject({ status: 401 });
    expect(visitor.subscriptionStatus('private-notes.ann')).toBe('failed');
    const socketId = visitor.socketId;
    const seen = states(visitor);

    await realtime.publish('news', 'headline', 'first');
    expect(await news.waitFor(1)).toEqual(['first']);
    // Signed in as a guest, so Soketi's timeout does not close it.
    await sleep(2 * USER_AUTH_TIMEOUT_MS);
    await realtime.publish('news', 'headline', 'second');
    expect(await news.waitFor(2)).toEqual(['first', 'second']);
    expect(visitor.state).toBe('connected');
    expect(visitor.socketId).toBe(socketId);
    expect(seen).toEqual([]);
  }, 20_000);

  it('without guest sign-in, Soketi closes an anonymous visitor after the timeout (4009): not a logout, it reconnects and keeps receiving', async () => {
    const visitor = defaultClient(undefined);
    const news = collect(visitor, 'news', 'headline');
    await visitor.whenSubscribed('news');
    const firstSocket = visitor.socketId;
    const seen = states(visitor);
    const retries: Array<Error | undefined> = [];
    visitor.on('reconnect_scheduled', ({ error }) => retries.push(error));

    await eventually(() => expect(retries.length).toBeGreaterThanOrEqual(1), 3 * USER_AUTH_TIMEOUT_MS);
    expect(retries[0]).toMatchObject({ details: { closeCode: 4009 } });
    expect(seen).not.toContain('disconnected');
    await eventually(() => expect(visitor.state === 'connected' && visitor.socketId !== firstSocket).toBe(true), 5000);
    await visitor.whenSubscribed('news');
    await realtime.publish('news', 'headline', 'after the timeout');
    expect(await news.waitFor(1)).toEqual(['after the timeout']);
  }, 20_000);
});
