// Checks that the events registered in events.ts type every client
// signature, and fail (unused @ts-expect-error, expectTypeOf mismatch) when the inference breaks.
'use client';
import { expectTypeOf } from 'vitest';
import { createRealtimeClient } from 'next-realtime/client';
import { useChannel, useEvent, usePresence } from 'next-realtime/react';

type OrderUpdated = { orderId: string; status: 'paid' | 'shipped' };

export function TypedHooks({ orderId }: { orderId: string }) {
  useEvent(`private-orders.${orderId}`, 'order.updated', (data, meta) => {
    expectTypeOf(data.status).toEqualTypeOf<'paid' | 'shipped'>();
    expectTypeOf(data).toEqualTypeOf<OrderUpdated>();
    expectTypeOf(meta.channel).toEqualTypeOf<string>();
  });
  // @ts-expect-error a misspelt event name does not compile
  useEvent(`private-orders.${orderId}`, 'order.updatd', () => {});
  // @ts-expect-error the payload has no such field
  useEvent(`private-orders.${orderId}`, 'order.updated', (data) => data.total);
  // @ts-expect-error a handler that expects another payload does not compile
  useEvent(`private-orders.${orderId}`, 'order.updated', (data: { total: number }) => data.total);

  const channel = useChannel(`private-orders.${orderId}`, (event, data) => {
    expectTypeOf(event).toEqualTypeOf<'order.updated' | 'client-typing'>();
    expectTypeOf(data).toEqualTypeOf<OrderUpdated | { name: string }>();
    // @ts-expect-error a comparison with an event name that is not registered
    if (event === 'order.updatd') return;
  });
  channel.whisper('typing', { name: 'Ada' }); // the client- prefix is optional
  channel.whisper('client-typing', { name: 'Ada' });
  // @ts-expect-error whispers carry their registered payload
  channel.whisper('typing', { name: 42 });
  // @ts-expect-error only registered client- events can be whispered
  channel.whisper('order.updated', { orderId, status: 'paid' });

  const room = usePresence('presence-room.1');
  room.whisper('typing', { name: 'Ada' });
  return null;
}

export function typedClient() {
  const client = createRealtimeClient();
  const stop = client.subscribe('private-orders.1', 'order.updated', (data) => {
    expectTypeOf(data).toEqualTypeOf<OrderUpdated>();
  });
  // @ts-expect-error a misspelt event name does not compile
  client.subscribe('private-orders.1', 'order.updatd', () => {});
  client.subscribeAll('private-orders.1', (event, data, meta) => {
    expectTypeOf(event).toEqualTypeOf<'order.updated' | 'client-typing'>();
    expectTypeOf(data).toEqualTypeOf<OrderUpdated | { name: string }>();
    expectTypeOf(meta.event).toEqualTypeOf<string>();
  });
  client.whisper('private-orders.1', 'typing', { name: 'Ada' });
  // @ts-expect-error a whisper name that is not registered
  client.whisper('private-orders.1', 'typo', {});
  return stop;
}
