import { defineChannels, defineEvents } from 'next-realtime';
import { createRealtime, withEvents } from 'next-realtime/server';
import { z } from 'zod';

// Reads REALTIME_PROVIDER and SOKETI_* from the environment.
export const realtime = createRealtime();

export const events = defineEvents({
  'order.updated': z.object({ orderId: z.string(), status: z.enum(['paid', 'shipped']) }),
});

export const orders = withEvents(realtime, events);

export const USERS = {
  alice: { id: 'u1', name: 'Alice', orders: ['42'], rooms: ['1'] },
  bob: { id: 'u2', name: 'Bob', orders: [], rooms: [] },
};

export const channels = defineChannels({
  'private-orders.{orderId}': (user, { orderId }) => user.orders.includes(orderId),
  'presence-room.{roomId}': (user, { roomId }) => user.rooms.includes(roomId) && { id: user.id, info: { name: user.name } },
});

/** The app's own session: a cookie naming the user (a real app reads its session store). */
export function getUser(request) {
  const session = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
  return (session && USERS[session]) || null;
}

export function userById(id) {
  return Object.values(USERS).find((user) => user.id === id) ?? null;
}

/** Webhook events received, for the test to read back (one process: `next start`). */
export const webhookLog = (globalThis.__nextRealtimeWebhookLog ??= []);
