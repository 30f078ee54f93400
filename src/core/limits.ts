import type { ProviderName } from './errors.js';
import { ANY_SOCKET_ID_PATTERN, PUSHER_SOCKET_ID_PATTERN as PUSHER_SOCKET_ID } from './socketId.js';

/**
 * What a provider accepts in one request. Checked before anything leaves the process, so an
 * oversized publish fails with a clear error instead of a provider's 413 (or, on Soketi, an
 * error hidden inside an HTTP 200).
 */
export interface ProviderLimits {
  /** Bytes of the JSON-encoded `data` of one event. */
  maxPayloadBytes: number;
  /** Channels one publish may name. */
  maxChannelsPerPublish: number;
  /** Events one batch may carry. */
  maxBatchSize: number;
  /** The form of the id a client gives to exclude itself from a publish. */
  socketIdPattern: RegExp;
}

export const DEFAULT_LIMITS: Record<ProviderName, ProviderLimits> = {
  // Pusher cloud: 10 KB per event, 100 channels per trigger, 10 events per batch.
  pusher: { maxPayloadBytes: 10 * 1024, maxChannelsPerPublish: 100, maxBatchSize: 10, socketIdPattern: PUSHER_SOCKET_ID },
  // Soketi defaults: 100 KB per event (SOKETI_EVENT_MAX_SIZE_IN_KB), same channel and batch caps.
  soketi: { maxPayloadBytes: 100 * 1024, maxChannelsPerPublish: 100, maxBatchSize: 10, socketIdPattern: PUSHER_SOCKET_ID },
  // Ably: 64 KiB per message on paid plans (16 KiB on the free plan: configure it down).
  // Ably's socket id is its connectionKey, e.g. "aBc1!xyz-9".
  ably: {
    maxPayloadBytes: 64 * 1024,
    maxChannelsPerPublish: 100,
    maxBatchSize: 100,
    socketIdPattern: ANY_SOCKET_ID_PATTERN,
  },
  // The memory provider copies Pusher's limits so that tests catch what production would reject.
  memory: { maxPayloadBytes: 10 * 1024, maxChannelsPerPublish: 100, maxBatchSize: 10, socketIdPattern: PUSHER_SOCKET_ID },
};
