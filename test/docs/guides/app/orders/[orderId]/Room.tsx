// app/orders/[orderId]/Room.tsx
'use client';
import { useState } from 'react';
import { useConnectionState, useEvent, usePresence, useSocketId } from 'next-realtime/react';

export function Room({ id, orderId }: { id: string; orderId: string }) {
  const [status, setStatus] = useState('unknown');
  const [joined, setJoined] = useState<string[]>([]);
  // Typed from the registered events: data is { orderId: string; status: 'paid' | 'shipped' }
  useEvent(`private-orders.${orderId}`, 'order.updated', (data) => setStatus(data.status));
  const { members, status: subscription } = usePresence(`presence-room.${id}`, {
    onJoin: (member) => setJoined((names) => [...names, String(member.info?.name ?? member.id)]),
  });
  const connection = useConnectionState(); // 'connected', 'reconnecting', 'auth_failed', ...
  const socketId = useSocketId(); // for an X-Socket-ID header on your own fetch calls
  return (
    <section>
      <p>Order {orderId}: {status}</p>
      <p>{members.length} here ({subscription}, {connection}, socket {socketId ?? 'none'}); joined: {joined.join(', ')}</p>
    </section>
  );
}
