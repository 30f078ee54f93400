import type { ProviderLimits } from '../../core/limits.js';
import { PUSHER_SOCKET_ID_PATTERN } from '../../core/socketId.js';

/** Pusher cloud: 10 KB per event, 100 channels per trigger, 10 events per batch. */
export const pusherLimits: ProviderLimits = {
  maxPayloadBytes: 10 * 1024,
  maxChannelsPerPublish: 100,
  maxBatchSize: 10,
  socketIdPattern: PUSHER_SOCKET_ID_PATTERN,
};
