import { defineEvents, type EventPayload } from 'next-realtime';
import { z } from 'zod';
import { MAX_MESSAGE_LENGTH } from './rooms';

const person = z.object({ id: z.string(), name: z.string() });

/**
 * The events the server publishes, one schema each: publish() validates every payload before it
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
});

export type ChatMessage = EventPayload<typeof events, 'message'>;
export type Wave = EventPayload<typeof events, 'wave'>;
