import { createRealtime, withEvents, type TypedRealtime } from 'next-realtime/server';
import { events } from './events';

/**
 * One server handle per process. createRealtime() reads REALTIME_PROVIDER and that provider's
 * variables, so switching Soketi -> Pusher -> Ably is a change of environment, not of code.
 * withEvents() makes publish() accept only the events in lib/events.ts, validated.
 * Kept on globalThis so that development hot reloads do not open a new HTTP agent each time.
 */
type ChatRealtime = TypedRealtime<typeof events>;
const globalForRealtime = globalThis as typeof globalThis & { chatRealtime?: ChatRealtime };

export function realtime(): ChatRealtime {
  globalForRealtime.chatRealtime ??= withEvents(createRealtime(), events);
  return globalForRealtime.chatRealtime;
}
