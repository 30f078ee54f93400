// Not shown in the README: the reviewer's check, on the Quick start's own registration.
import { expectTypeOf } from 'vitest';
import { useEvent } from 'next-realtime/react';

export function useOrderStatusTypes(orderId: string) {
  useEvent(`private-orders.${orderId}`, 'order.updated', (data) => {
    expectTypeOf(data.status).toEqualTypeOf<'paid' | 'shipped'>();
  });
  // @ts-expect-error a misspelt event name is a type error
  useEvent(`private-orders.${orderId}`, 'order.updatd', () => {});
}
