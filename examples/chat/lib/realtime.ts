import { createConnectionControl, createRealtime, withEvents, withHistory, type ConnectionControl, type TypedRealtime } from 'next-realtime/server';
import { events } from './events';

/**
 * The server side of realtime, one per process, created on first use (never during `next build`).
 *
 * - `realtime`: createRealtime() reads REALTIME_PROVIDER and that provider's variables, so
 *   switching Soketi -> Pusher -> Ably is a change of environment, not of code. withEvents()
 *   makes publish() accept only the events in lib/events.ts, validated; withHistory() keeps each
 *   room's last 50 events (ids, positions, recovery after a reconnect).
 * - `control`: per-user connection limit (REALTIME_MAX_CONNECTIONS_PER_USER, default 5), logout
 *   and secret rotation over one state store (Redis when REDIS_URL is set, else this process).
 *
 * Kept on globalThis so that development hot reloads do not open a new HTTP agent each time.
 */
interface ChatRealtime {
  realtime: TypedRealtime<typeof events>;
  control: ConnectionControl;
}
const globalForRealtime = globalThis as typeof globalThis & { chatRealtime?: ChatRealtime };

function chatRealtime(): ChatRealtime {
  if (!globalForRealtime.chatRealtime) {
    const base = createRealtime();
    // Rooms are history channels (docs/delivery.md): a page load renders the last messages and a
    // client that reconnects recovers what it missed. Redis when REDIS_URL is set, else memory.
    const rooms = withHistory(base, { channels: { 'presence-room.{roomId}': { maxEvents: 50 } } });
    globalForRealtime.chatRealtime = { realtime: withEvents(rooms, events), control: createConnectionControl({ realtime: base }) };
  }
  return globalForRealtime.chatRealtime;
}

export const realtime = () => chatRealtime().realtime;
export const connectionControl = () => chatRealtime().control;
