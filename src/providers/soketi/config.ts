import { z } from 'zod';
import { bool, kilobytes, nonEmpty, port, type ProviderConfigPart } from '../../core/config.js';
import { pusherProtocolShape } from '../pusher/config.js';

const schema = z.object({
  provider: z.literal('soketi'),
  ...pusherProtocolShape,
  host: nonEmpty.default('127.0.0.1'),
  port: port.default(6001),
  useTLS: z.boolean().default(false),
});

export type SoketiConfig = z.output<typeof schema>;

export const soketiConfig = {
  schema,
  envSchema: z.object({
    SOKETI_APP_ID: nonEmpty,
    SOKETI_APP_KEY: nonEmpty,
    SOKETI_APP_SECRET: nonEmpty,
    SOKETI_HOST: nonEmpty.optional(),
    SOKETI_PORT: port.optional(),
    SOKETI_USE_TLS: bool.optional(),
    SOKETI_EVENT_MAX_SIZE_IN_KB: kilobytes.optional(),
    SOKETI_ENCRYPTION_MASTER_KEY_BASE64: z.string().optional(),
  }),
  fromEnv: (env) => ({
    provider: 'soketi',
    appId: env.SOKETI_APP_ID,
    key: env.SOKETI_APP_KEY,
    secret: env.SOKETI_APP_SECRET,
    host: env.SOKETI_HOST,
    port: env.SOKETI_PORT,
    useTLS: env.SOKETI_USE_TLS,
    maxPayloadBytes: env.SOKETI_EVENT_MAX_SIZE_IN_KB,
    encryptionMasterKeyBase64: env.SOKETI_ENCRYPTION_MASTER_KEY_BASE64,
  }),
} satisfies ProviderConfigPart;
