import { RealtimeError } from '../core/errors.js';

/** The header a client sends with its own requests so the server can exclude its connection. */
export const SOCKET_ID_HEADER = 'x-socket-id';

// Pusher/Soketi socket ids ("123.456") and Ably connection keys both fit; publish() then checks
// the exact form of the configured provider.
const SOCKET_ID_CHARS = /^[A-Za-z0-9!$@_.:\-]{1,128}$/;

/**
 * The sender's socket id from request headers, for `publish(..., { socketId })` in a route
 * handler or server action (`socketIdFromHeaders(await headers())`). Undefined when absent;
 * a malformed value throws RealtimeError('invalid_socket_id') instead of silently publishing
 * to the sender too.
 */
export function socketIdFromHeaders(headers: { get(name: string): string | null }): string | undefined {
  const value = headers.get(SOCKET_ID_HEADER);
  if (value === null || value === '') return undefined;
  if (!SOCKET_ID_CHARS.test(value)) {
    throw new RealtimeError('invalid_socket_id', `the ${SOCKET_ID_HEADER} header is not a socket id`);
  }
  return value;
}
