// app/actions.ts
'use server';
import { headers } from 'next/headers';
import { socketIdFromHeaders } from 'next-realtime/next';
import { orders } from '@/lib/realtime';

// Called directly (`await markPaid(id)`) or as `<form action={markPaid.bind(null, id)}>`.
export async function markPaid(orderId: string) {
  await orders.publish(`private-orders.${orderId}`, 'order.updated', { orderId, status: 'paid' }, {
    socketId: socketIdFromHeaders(await headers()), // the sending tab's connection: it gets no echo
  });
}
