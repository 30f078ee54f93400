// app/orders/[orderId]/OrderStatus.tsx
'use client';
import { useState } from 'react';
import { useConnectionState, useEvent } from 'next-realtime/react';

export function OrderStatus({ orderId }: { orderId: string }) {
  const [status, setStatus] = useState<'unknown' | 'paid' | 'shipped'>('unknown');
  // data is typed from lib/events.ts: { orderId: string; status: 'paid' | 'shipped' }
  useEvent(`private-orders.${orderId}`, 'order.updated', (data) => setStatus(data.status));
  return <p>{status} ({useConnectionState()})</p>;
}
