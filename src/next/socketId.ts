import { RealtimeError } from '../core/errors.js';
import { isSocketId, SOCKET_ID_HEADER } from '../core/socketId.js';

export { SOCKET_ID_HEADER };

/**
 * The sender's socket id from request headers, for `publish(..., { socketId })` in a route
 * handler or server action (`socketIdFromHeaders(await headers())`). Undefined when absent;
 * a malformed value throws RealtimeError('invalid_socket_id') instead of silently publishing
 * to the sender too. Any provider's form is accepted here; publish() then checks the exact form
 * of the configured provider.
 */
export function socketIdFromHeaders(headers: { get(name: string): string | null }): string | undefined {
  const value = headers.get(SOCKET_ID_HEADER);
  if (value === null || value === '') return undefined;
  if (!isSocketId(value)) {
    throw new RealtimeError('invalid_socket_id', `the ${SOCKET_ID_HEADER} header is not a socket id`);
  }
  return value;
}
