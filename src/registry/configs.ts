import { z } from 'zod';
import type { ProviderConfigPart } from '../core/config.js';
import { ablyConfig } from '../providers/ably/config.js';
import { memoryConfig } from '../providers/memory/config.js';
import { pusherConfig } from '../providers/pusher/config.js';
import { soketiConfig } from '../providers/soketi/config.js';
import { PROVIDER_NAMES, type ProviderName } from './names.js';

/**
 * The provider registry's configuration column: a provider's name -> its config schema and
 * environment variables (its folder's config.ts). Server only: the browser client never
 * reaches zod or these schemas (its options are in clientTransports.ts).
 */
const CONFIG_PARTS = {
  soketi: soketiConfig,
  pusher: pusherConfig,
  ably: ablyConfig,
  memory: memoryConfig,
} satisfies { [N in ProviderName]: ProviderConfigPart & { schema: z.ZodObject<{ provider: z.ZodLiteral<N> }> } };

type SchemaOf<N extends ProviderName> = (typeof CONFIG_PARTS)[N]['schema'];

/** One provider's validated configuration: what `realtime.config` is. */
export type RealtimeConfig = { [N in ProviderName]: z.output<SchemaOf<N>> }[ProviderName];
/** What a caller may pass: defaults filled in by validation. */
export type RealtimeConfigInput = { [N in ProviderName]: z.input<SchemaOf<N>> }[ProviderName];
export type ConfigOf<N extends ProviderName> = Extract<RealtimeConfig, { provider: N }>;

/** Every provider's config schema, told apart by `provider`. */
export const realtimeConfigSchema = z.discriminatedUnion(
  'provider',
  PROVIDER_NAMES.map((name) => CONFIG_PARTS[name].schema) as unknown as [SchemaOf<ProviderName>, ...SchemaOf<ProviderName>[]],
);

/** The environment variables of one provider and how they map to its config. */
export function providerConfigPart(name: ProviderName): ProviderConfigPart {
  return CONFIG_PARTS[name];
}
