import { z } from 'zod';
import { base64Key, bool, maxPayloadBytes, nonEmpty, port, type ProviderConfigPart } from '../../core/config.js';

/** Every provider that speaks the Pusher protocol with an app id, key and secret (Soketi too). */
export const pusherProtocolShape = {
  appId: nonEmpty,
  key: nonEmpty,
  secret: nonEmpty,
  /** Base64 32-byte key for `private-encrypted-` channels; optional. */
  encryptionMasterKeyBase64: base64Key(32).optional(),
  maxPayloadBytes,
};

const schema = z.object({
  provider: z.literal('pusher'),
  ...pusherProtocolShape,
  cluster: nonEmpty,
  /** Overrides for a Pusher-compatible endpoint (a stand-in in tests, a proxy in production). */
  host: nonEmpty.optional(),
  port: port.optional(),
  useTLS: z.boolean().default(true),
});

export type PusherConfig = z.output<typeof schema>;

export const pusherConfig = {
  schema,
  envSchema: z.object({
    PUSHER_APP_ID: nonEmpty,
    PUSHER_KEY: nonEmpty,
    PUSHER_SECRET: nonEmpty,
    PUSHER_CLUSTER: nonEmpty,
    PUSHER_HOST: nonEmpty.optional(),
    PUSHER_PORT: port.optional(),
    PUSHER_USE_TLS: bool.optional(),
    PUSHER_ENCRYPTION_MASTER_KEY_BASE64: z.string().optional(),
  }),
  fromEnv: (env) => ({
    provider: 'pusher',
    appId: env.PUSHER_APP_ID,
    key: env.PUSHER_KEY,
    secret: env.PUSHER_SECRET,
    cluster: env.PUSHER_CLUSTER,
    host: env.PUSHER_HOST,
    port: env.PUSHER_PORT,
    useTLS: env.PUSHER_USE_TLS,
    encryptionMasterKeyBase64: env.PUSHER_ENCRYPTION_MASTER_KEY_BASE64,
  }),
} satisfies ProviderConfigPart;
