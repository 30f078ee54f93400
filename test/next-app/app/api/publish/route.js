import { headers } from 'next/headers';
import { RealtimeError } from 'next-realtime';
import { socketIdFromHeaders } from 'next-realtime/next';
import { orders } from '../../../lib/realtime.js';

export const dynamic = 'force-dynamic';

/** Publishes a typed event, excluding the sender named by X-Socket-ID. */
export async function POST(request) {
  try {
    const { orderId, ...rest } = await request.json();
    await orders.publish(`private-orders.${orderId}`, 'order.updated', { orderId, ...rest }, { socketId: socketIdFromHeaders(await headers()) });
    return Response.json({ ok: true });
  } catch (error) {
    if (error instanceof RealtimeError) return Response.json({ error: error.toJSON() }, { status: error.httpStatus });
    throw error;
  }
}
