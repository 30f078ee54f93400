// An app's event definitions, registered as the README says.
import { defineEvents } from 'next-realtime';
import { z } from 'zod';

export const events = defineEvents({
  'order.updated': z.object({ orderId: z.string(), status: z.enum(['paid', 'shipped']) }),
  'client-typing': z.object({ name: z.string() }),
});

declare module 'next-realtime' {
  interface Register {
    events: typeof events;
  }
}
