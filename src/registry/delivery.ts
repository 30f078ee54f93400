import type { ProviderName } from './names.js';
import type { ProviderLimits } from '../core/limits.js';
import type { ServerProvider } from '../core/provider.js';
import type { ProviderAuth } from '../core/providerParts.js';
import type { ConfigOf, RealtimeConfig } from './configs.js';
import { providerParts, type AuthOf } from './providers.js';

/**
 * The provider registry's delivery column: a provider's name -> a lazy loader of its SDK part
 * (publish, batch, terminate, presence). A dynamic import per provider keeps every SDK out of the
 * others' bundles; each SDK is an optional peer dependency. Apart from providers.ts only so
 * that the route handlers (which never deliver) do not reach any SDK.
 */
type DeliveryLoader<N extends ProviderName> = (config: ConfigOf<N>, limits: ProviderLimits, auth: AuthOf<N>) => Promise<ServerProvider>;

const DELIVERY: { [N in ProviderName]: DeliveryLoader<N> } = {
  soketi: async (config, limits) => (await import('../providers/soketi/server.js')).createSoketiServer(config, limits),
  pusher: async (config, limits) => (await import('../providers/pusher/server.js')).createPusherServer(config, limits),
  ably: async (config, limits, auth) => (await import('../providers/ably/server.js')).createAblyServer(config, limits, { signingKeyring: () => auth.signingKeyring }),
  memory: async (config, limits) => (await import('../providers/memory/server.js')).createMemoryServer(config, limits),
};

/** Loads the delivery part of the provider this config chooses (and only that one). */
export function loadDelivery(config: RealtimeConfig): Promise<ServerProvider> {
  const parts = providerParts(config);
  const load = DELIVERY[config.provider] as unknown as (
    config: RealtimeConfig,
    limits: ProviderLimits,
    auth: ProviderAuth,
  ) => Promise<ServerProvider>;
  return load(config, parts.limits, parts.auth);
}
