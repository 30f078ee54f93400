import type { ProviderLimits } from '../../core/limits.js';
import { pusherLimits } from '../pusher/limits.js';

/** The memory provider copies Pusher's limits so that tests catch what production would reject. */
export const memoryLimits: ProviderLimits = { ...pusherLimits };
