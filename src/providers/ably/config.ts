import { z } from 'zod';
import { bool, kilobytes, maxPayloadBytes, nonEmpty, port, type ProviderConfigPart } from '../../core/config.js';

const schema = z.object({
  provider: z.literal('ably'),
  /** `appId.keyId:secret`; several keys form a keyring (the first signs, all verify). */
  apiKeys: z
    .array(z.string().regex(/^[^.:\s]+\.[^.:\s]+:\S+$/, 'must look like "appId.keyId:secret"'))
    .min(1, 'at least one Ably API key is required'),
  /** Overrides for a local stand-in: REST and realtime at one host and port, no fallbacks. */
  endpoint: nonEmpty.optional(),
  port: port.optional(),
  tls: z.boolean().default(true),
  maxPayloadBytes,
});

export type AblyConfig = z.output<typeof schema>;

export const ablyConfig = {
  schema,
  envSchema: z.object({
    ABLY_API_KEY: nonEmpty,
    ABLY_ENDPOINT: nonEmpty.optional(),
    ABLY_PORT: port.optional(),
    ABLY_TLS: bool.optional(),
    ABLY_MAX_MESSAGE_SIZE_IN_KB: kilobytes.optional(),
  }),
  fromEnv: (env) => ({
    provider: 'ably',
    // ABLY_API_KEY is read here and nowhere else: a comma-separated keyring.
    apiKeys: env.ABLY_API_KEY?.split(',').map((key) => key.trim()).filter(Boolean),
    endpoint: env.ABLY_ENDPOINT,
    port: env.ABLY_PORT,
    tls: env.ABLY_TLS,
    maxPayloadBytes: env.ABLY_MAX_MESSAGE_SIZE_IN_KB,
  }),
} satisfies ProviderConfigPart;
