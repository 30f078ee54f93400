import type { MemoryConfig } from '../../core/config.js';
import { DEFAULT_LIMITS } from '../../core/limits.js';
import type { ProviderAuthPart } from '../../core/providerParts.js';
import { pusherWebhooks } from '../pusher/auth.js';
import { getMemoryHub } from './hub.js';

/**
 * The memory provider signs like a Pusher-protocol server, with its hub's own secret (the hub
 * checks those signatures when a client subscribes, as Soketi does). It sends no webhooks: apps
 * that test their webhook route sign Pusher-style with keys they configure.
 */
export const memoryAuthPart: ProviderAuthPart<MemoryConfig> = {
  limits: DEFAULT_LIMITS.memory,
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
};
