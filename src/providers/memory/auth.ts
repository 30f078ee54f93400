import type { ProviderAuthPart } from '../../core/providerParts.js';
import { pusherWebhooks } from '../pusher/auth.js';
import type { MemoryConfig } from './config.js';
import { getMemoryHub } from './hub.js';
import { memoryLimits } from './limits.js';

/**
 * The memory provider signs like a Pusher-protocol server, with its hub's own secret (the hub
 * checks those signatures when a client subscribes, as Soketi does). It sends no webhooks: apps
 * that test their webhook route sign Pusher-style with keys they configure.
 */
export const memoryAuthPart: ProviderAuthPart<MemoryConfig> = {
  limits: memoryLimits,
  createAuth(config) {
    const hub = getMemoryHub(config.hub);
    return {
      kind: 'signatures',
      authorizeChannel: (socketId, channel, member) => hub.authorizeChannel(socketId, channel, member),
      authenticateUser: (socketId, user) => hub.authenticateUser(socketId, user),
    };
  },
  webhooks: pusherWebhooks,
  defaultWebhookKeys: () => [],
  // The config holds none: each hub makes its own secret, in this process.
  secrets: () => [],
};
