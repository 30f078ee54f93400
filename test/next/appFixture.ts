import Pusher from 'pusher';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers, type RealtimeHandlersOptions } from '../../src/next/index.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { sessionOf } from '../support/routeFetch.js';

/**
 * A small app as a user would write it: a session cookie, a users table, a channel policy. The
 * realtime instance is a real Soketi-configured one (signing needs no running server); the
 * official pusher SDK with the same credentials is the reference for every signature.
 */
export interface User {
  id: string;
  name: string;
  orders: string[];
  rooms: string[];
}

export const USERS: Record<string, User> = {
  alice: { id: 'u1', name: 'Alice', orders: ['42'], rooms: ['1'] },
  bob: { id: 'u2', name: 'Bob', orders: [], rooms: [] },
};

export const CREDENTIALS = {
  appId: 'app-id',
  key: 'app-key',
  secret: 'app-secret',
  encryptionMasterKeyBase64: Buffer.alloc(32, 7).toString('base64'),
};

export const reference = new Pusher({ ...CREDENTIALS, cluster: 'mt1' });

export const TOKEN_SECRETS = 'k2:second-secret-0123456789,k1:first-secret-0123456789';

export const channels = defineChannels({
  'private-orders.{orderId}': (user: User, { orderId }) => user.orders.includes(orderId),
  'presence-room.{roomId}': async (user: User, { roomId }) => user.rooms.includes(roomId) && { id: user.id, info: { name: user.name } },
  'private-encrypted-inbox.{userId}': (user: User, { userId }) => user.id === userId,
  'private-explode.{x}': (_user: User) => {
    throw new Error('database unreachable at postgres://admin:hunter2@db');
  },
});

export function getUser(request: Request): User | null {
  const session = sessionOf(request);
  if (session === 'boom') throw new Error('session store down, password=hunter2');
  return session ? (USERS[session] ?? null) : null;
}

/** The handlers over `realtime` (a Soketi configuration that is never reached, unless given). */
export function createApp(
  overrides: Partial<RealtimeHandlersOptions<User>> = {},
  realtime: Realtime = createRealtime({ provider: 'soketi', ...CREDENTIALS, host: '127.0.0.1', port: 1 }),
) {
  const logged: string[] = [];
  const handlers = createRealtimeHandlers<User>({
    realtime,
    channels,
    getUser,
    tokenSecrets: TOKEN_SECRETS,
    userFromToken: (claims) => Object.values(USERS).find((user) => user.id === claims.sub) ?? null,
    log: (message) => logged.push(message),
    ...overrides,
  });
  return { realtime, handlers, logged };
}

export type App = ReturnType<typeof createApp>;

type Init = { method?: string; headers?: Record<string, string>; body?: BodyInit | null; query?: string };

/** Calls the route as Next.js would: a real Request plus the catch-all params. */
export async function call(app: App, endpoint: string, init: Init = {}) {
  const method = init.method ?? (endpoint === 'token' ? 'GET' : 'POST');
  const url = `http://localhost:3000/api/realtime/${endpoint}${init.query ? `?${init.query}` : ''}`;
  const request = new Request(url, {
    method,
    headers: init.headers,
    ...(init.body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body: init.body, duplex: 'half' } : {}),
  } as RequestInit);
  const handler = method === 'GET' ? app.handlers.GET : app.handlers.POST;
  const response = await handler(request, { params: Promise.resolve({ path: endpoint.split('/') }) });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

export const form = (fields: Record<string, string>, session?: string) => ({
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    ...(session ? { cookie: `session=${session}` } : {}),
  },
  body: new URLSearchParams(fields).toString(),
});
