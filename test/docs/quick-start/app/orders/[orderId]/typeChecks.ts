// Not shown in the README: the reviewer's check, on the Quick start's own registration. (The
// expectTypeOf suite is test/types/registered; this app imports no test library, which keeps
// its type-check fast.)
import { useEvent } from 'next-realtime/react';

type Exactly<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<Check extends true>(): Check | void {}

export function useOrderStatusTypes(orderId: string) {
  useEvent(`private-orders.${orderId}`, 'order.updated', (data) => {
    assertType<Exactly<typeof data.status, 'paid' | 'shipped'>>();
  });
  // @ts-expect-error a misspelt event name is a type error
  useEvent(`private-orders.${orderId}`, 'order.updatd', () => {});
}
