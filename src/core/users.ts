import { RealtimeError } from './errors.js';

/** Pusher's user id rule (Ably's clientId is laxer): 1-200 characters, no control characters. */
export const MAX_USER_ID_LENGTH = 200;

export function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH || /[\x00-\x1f\x7f]/.test(userId)) {
    throw new RealtimeError('invalid_payload', `user id ${JSON.stringify(userId)} must be 1-${MAX_USER_ID_LENGTH} printable characters`);
  }
}
