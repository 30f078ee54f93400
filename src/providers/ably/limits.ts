import type { ProviderLimits } from '../../core/limits.js';
import { ANY_SOCKET_ID_PATTERN } from '../../core/socketId.js';

/**
 * Ably: 64 KiB per message on paid plans (16 KiB on the free plan: configure it down). Ably's
 * socket id is its connectionKey, e.g. "aBc1!xyz-9".
 */
export const ablyLimits: ProviderLimits = {
  maxPayloadBytes: 64 * 1024,
  maxChannelsPerPublish: 100,
  maxBatchSize: 100,
  socketIdPattern: ANY_SOCKET_ID_PATTERN,
};
