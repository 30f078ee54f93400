import type { RealtimeConfig } from '../core/config.js';
import type { ProviderLimits } from '../core/limits.js';
import type { ServerProvider } from '../core/provider.js';

/**
 * Loads only the chosen provider's module, so an app on Pusher never loads ably (and the reverse).
 * Each provider's SDK is an optional peer dependency.
 */
export async function loadServerProvider(config: RealtimeConfig, limits: ProviderLimits): Promise<ServerProvider> {
  switch (config.provider) {
    case 'soketi':
      return (await import('../providers/soketi/server.js')).createSoketiServer(config, limits);
    case 'pusher':
      return (await import('../providers/pusher/server.js')).createPusherServer(config, limits);
    case 'memory':
      return (await import('../providers/memory/server.js')).createMemoryServer(config, limits);
    case 'ably':
      return (await import('../providers/ably/server.js')).createAblyServer(config, limits);
  }
}
