import type { ProviderLimits } from '../../core/limits.js';
import { pusherLimits } from '../pusher/limits.js';

/** Soketi defaults: 100 KB per event (SOKETI_EVENT_MAX_SIZE_IN_KB), Pusher's channel and batch caps. */
export const soketiLimits: ProviderLimits = { ...pusherLimits, maxPayloadBytes: 100 * 1024 };
