'use server';

import { headers } from 'next/headers';
import { socketIdFromHeaders } from 'next-realtime/next';
import { orders } from '../lib/realtime.js';

/**
 * A server action publishing a typed event. The sender's socket id comes from the X-Socket-ID
 * header when the caller sends one, or from the argument, so the sender can be excluded.
 */
export async function publishOrderUpdate(update, socketId) {
  const sender = socketId ?? socketIdFromHeaders(await headers());
  await orders.publish(`private-orders.${update.orderId}`, 'order.updated', update, { socketId: sender });
  return { ok: true };
}
