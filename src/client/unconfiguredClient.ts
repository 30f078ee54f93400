import type { RealtimeError } from '../core/errors.js';
import type { RealtimeClient } from './realtimeClient.js';

/** Each distinct configuration problem is printed once per page, however many clients hit it. */
const reported = new Set<string>();

/**
 * The client of a configuration that cannot work (a missing `NEXT_PUBLIC_SOKETI_APP_KEY`, say):
 * it is in state `failed` with the `invalid_config` error from the start, says so once on the
 * console, and never connects or retries. Nothing throws, so a page that renders it (on the
 * server too) still renders; whoever asks for a connection or a subscription gets the error.
 */
export function createUnconfiguredClient(error: RealtimeError): RealtimeClient {
  if (!reported.has(error.message)) {
    reported.add(error.message);
    console.error(`[next-realtime] ${error.message}`);
  }
  const client: RealtimeClient = {
    provider: error.provider,
    state: 'failed',
    error,
    socketId: undefined,
    connect: () => Promise.reject(error),
    disconnect: () => {},
    subscribe: () => () => {},
    subscribeAll: () => () => {},
    onPresence: () => () => {},
    whenSubscribed: () => Promise.reject(error),
    subscriptionStatus: () => undefined,
    whisper: () => {
      throw error;
    },
    resumeFrom: () => {},
    cursor: () => undefined,
    members: () => [],
    onStateChange: () => () => {},
    on: () => () => {},
    reauthenticate: () => Promise.reject(error),
    socketIdHeaders: () => ({}),
    withSocketId: <T extends RequestInit>(init?: T) => (init ?? {}) as T,
  };
  return client;
}
