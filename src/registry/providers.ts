import type { ProviderAuthPart, ProviderParts } from '../core/providerParts.js';
import { ablyAuthPart } from '../providers/ably/auth.js';
import { memoryAuthPart } from '../providers/memory/auth.js';
import { pusherAuthPart } from '../providers/pusher/auth.js';
import { soketiAuthPart } from '../providers/soketi/auth.js';
import type { ConfigOf, RealtimeConfig } from './configs.js';
import type { ProviderName } from './names.js';

/**
 * The provider registry's auth column: a provider's name -> its SDK-free parts (limits, how its
 * clients authenticate, its webhooks, its secrets). No SDK is reachable from here, so the route
 * handlers that use it stay bundleable for Edge and Workers. The other columns: names.ts (the
 * names), configs.ts (config schemas and variables), limits.ts, delivery.ts (the SDK parts),
 * clientTransports.ts (the browser parts). A new provider adds one line to each (the types
 * refuse a table without it) and everything else in its own folder.
 */
const AUTH_PARTS = {
  soketi: soketiAuthPart,
  pusher: pusherAuthPart,
  ably: ablyAuthPart,
  memory: memoryAuthPart,
} satisfies { [N in ProviderName]: ProviderAuthPart<ConfigOf<N>> };

/** The auth part a provider's delivery part may rely on (Ably's: which key signs now). */
export type AuthOf<N extends ProviderName> = ReturnType<(typeof AUTH_PARTS)[N]['createAuth']>;

// One set of parts per config object: the route handlers, connection control and the delivery
// part of one createRealtime() share the same auth part (e.g. which Ably key signs right now).
const cache = new WeakMap<RealtimeConfig, ProviderParts>();

/** The parts of the provider this config chooses. The one way src/next and src/server reach a provider. */
export function providerParts(config: RealtimeConfig): ProviderParts {
  let parts = cache.get(config);
  if (!parts) {
    const part = AUTH_PARTS[config.provider] as ProviderAuthPart<RealtimeConfig>;
    parts = {
      limits: {
        ...part.limits,
        ...(config.maxPayloadBytes !== undefined ? { maxPayloadBytes: config.maxPayloadBytes } : {}),
      },
      auth: part.createAuth(config),
      webhooks: part.webhooks,
      defaultWebhookKeys: part.defaultWebhookKeys(config),
      secrets: part.secrets(config),
    };
    cache.set(config, parts);
  }
  return parts;
}
