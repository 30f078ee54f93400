import { createRealtime, type Realtime } from 'next-realtime/server';

/**
 * One server handle per process. createRealtime() reads REALTIME_PROVIDER and that provider's
 * variables, so switching Soketi -> Pusher -> Ably is a change of environment, not of code.
 * Kept on globalThis so that development hot reloads do not open a new HTTP agent each time.
 */
const globalForRealtime = globalThis as typeof globalThis & { chatRealtime?: Realtime };

export function realtime(): Realtime {
  globalForRealtime.chatRealtime ??= createRealtime();
  return globalForRealtime.chatRealtime;
}
