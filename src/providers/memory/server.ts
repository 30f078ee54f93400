import type { ProviderLimits } from '../../core/limits.js';
import type { ServerProvider } from '../../core/provider.js';
import type { MemoryConfig } from './config.js';
import { getMemoryHub } from './hub.js';

export function createMemoryServer(config: MemoryConfig, limits: ProviderLimits): ServerProvider {
  const hub = getMemoryHub(config.hub);
  return {
    name: 'memory',
    limits,
    async publish(event) {
      hub.publish(event);
    },
    async publishBatch(events) {
      for (const event of events) hub.publish(event);
    },
    async terminateUserConnections(userId, reason) {
      hub.terminateUser(userId, reason?.message);
    },
    async presenceMemberIds(channel) {
      return hub.members(channel).map((member) => member.id);
    },
    async close() {},
  };
}
