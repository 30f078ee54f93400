import type { ProviderLimits } from '../core/limits.js';
import { ablyLimits } from '../providers/ably/limits.js';
import { memoryLimits } from '../providers/memory/limits.js';
import { pusherLimits } from '../providers/pusher/limits.js';
import { soketiLimits } from '../providers/soketi/limits.js';
import type { ProviderName } from './names.js';

/**
 * Every provider's default limits (the public `DEFAULT_LIMITS`), from its folder's limits.ts.
 * Kept apart from the auth parts so that the root entry reaches no signing code.
 */
export const DEFAULT_LIMITS: Record<ProviderName, ProviderLimits> = {
  soketi: soketiLimits,
  pusher: pusherLimits,
  ably: ablyLimits,
  memory: memoryLimits,
};
