// app/actions.ts
'use server';
import { headers } from 'next/headers';
import { socketIdFromHeaders } from 'next-realtime/next';
import { orders } from '@/lib/realtime';

export async function markPaid(orderId: string) {
  await orders.publish(`private-orders.${orderId}`, 'order.updated', { orderId, status: 'paid' }, {
    socketId: socketIdFromHeaders(await headers()), // X-Socket-ID: the sender gets no echo
  });
}
