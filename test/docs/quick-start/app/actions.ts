// app/actions.ts
'use server';
import { headers } from 'next/headers';
import { socketIdFromHeaders } from 'next-realtime/next';
import { orders } from '@/lib/realtime';

// Works called directly (`await markPaid(id)`) and as `<form action={markPaid.bind(null, id)}>`.
export async function markPaid(orderId: string) {
  await orders.publish(`private-orders.${orderId}`, 'order.updated', { orderId, status: 'paid' }, {
    socketId: socketIdFromHeaders(await headers()), // the sending tab gets no echo; every other tab does
  });
}
