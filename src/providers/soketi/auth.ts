import type { SoketiConfig } from '../../core/config.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import { pusherProtocolAuthPart } from '../pusher/auth.js';

/** Soketi speaks the Pusher protocol: Pusher's signatures and webhooks, Soketi's own limits. */
export const soketiAuthPart = pusherProtocolAuthPart<SoketiConfig>(DEFAULT_LIMITS.soketi);
