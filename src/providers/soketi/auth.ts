import { pusherProtocolAuthPart } from '../pusher/auth.js';
import type { SoketiConfig } from './config.js';
import { soketiLimits } from './limits.js';

/** Soketi speaks the Pusher protocol: Pusher's signatures and webhooks, Soketi's own limits. */
export const soketiAuthPart = pusherProtocolAuthPart<SoketiConfig>(soketiLimits);
