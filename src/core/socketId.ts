import { RealtimeError } from './errors.js';

/**
 * Socket ids, defined once. A socket id names one live connection; a client sends its own with
 * requests that publish so the server can leave that connection out of the delivery.
 */

/** The header a client sends with its own requests (HTTP header names are case-insensitive). */
export const SOCKET_ID_HEADER = 'X-Socket-ID';

/** Pusher-protocol socket ids (Pusher, Soketi, the memory hub): `digits.digits`. */
export const PUSHER_SOCKET_ID_PATTERN = /^(?=.{3,64}$)\d+\.\d+$/;

/**
 * What any provider's socket id may look like: Pusher's `123.456` and Ably's connection keys
 * (`aBc1!xyz-9`) both fit. Where the provider is known, its own pattern (ProviderLimits) applies.
 */
export const ANY_SOCKET_ID_PATTERN = /^[A-Za-z0-9!$@_.:\-]{1,128}$/;

export function isSocketId(value: unknown, pattern: RegExp = ANY_SOCKET_ID_PATTERN): value is string {
  return typeof value === 'string' && value.length <= 128 && pattern.test(value);
}

export function assertSocketId(value: unknown, pattern: RegExp = ANY_SOCKET_ID_PATTERN): asserts value is string {
  if (!isSocketId(value, pattern)) {
    throw new RealtimeError('invalid_socket_id', `socket id ${JSON.stringify(value)} is not a socket id of this provider`);
  }
}
