import { defineEvents, type EventPayload } from 'next-realtime';
import { z } from 'zod';
import { MAX_MESSAGE_LENGTH } from './rooms';

const person = z.object({ id: z.string(), name: z.string() });

/**
 * The events, one schema each: publish() validates every payload before it
 * leaves the server (a wrong one is a RealtimeError 'invalid_payload' naming the field), and the
 * client components get the payload types from here.
 */
export const events = defineEvents({
  message: z.object({
    id: z.string(),
    roomId: z.string(),
    from: person,
    text: z.string().trim().min(1, 'is empty').max(MAX_MESSAGE_LENGTH, `is longer than ${MAX_MESSAGE_LENGTH} characters`),
    sentAt: z.number(),
  }),
  wave: z.object({ from: person, roomId: z.string(), sentAt: z.number() }),
  // A client event (whisper) browsers send each other; typed here, never published by the server.
  'client-typing': person,
});

// Registered once: useEvent, usePresence's whisper and the client take names and payload types
// from the schemas above (a misspelt event name does not compile).
declare module 'next-realtime' {
  interface Register {
    events: typeof events;
  }
}

export type ChatMessage = EventPayload<typeof events, 'message'>;
export type Wave = EventPayload<typeof events, 'wave'>;
