// lib/events.ts: the events, defined once for the server (validation) and the client (types)
import { defineEvents } from 'next-realtime';
import { z } from 'zod';

export const events = defineEvents({
  'order.updated': z.object({ orderId: z.string(), status: z.enum(['paid', 'shipped']) }),
});

// Registers the events: useEvent, useChannel and subscribe now type payloads and names.
declare module 'next-realtime' {
  interface Register {
    events: typeof events;
  }
}
