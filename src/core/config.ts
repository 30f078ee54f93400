import { z } from 'zod';
import { readProcessEnv, type Env } from './env.js';
import { PROVIDER_NAMES, RealtimeError } from './errors.js';

export { readProcessEnv } from './env.js';

/**
 * Server configuration. `createRealtime()` reads it from the environment; `createRealtime(config)`
 * takes the same shape directly. Either way it is validated once, and every problem is reported
 * in ONE error, so a misconfigured deploy is fixed in one round instead of one variable at a time.
 */

const port = z.coerce.number().int().min(1).max(65535);
const bool = z.union([z.boolean(), z.stringbool()]);
const nonEmpty = z.string().trim().min(1, 'must not be empty');
/** Bytes; given in the environment as kilobytes (like SOKETI_EVENT_MAX_SIZE_IN_KB). */
const kilobytes = z.coerce.number().positive().transform((kb) => Math.floor(kb * 1024));

const pusherProtocolShape = {
  appId: nonEmpty,
  key: nonEmpty,
  secret: nonEmpty,
  /** Base64 32-byte key for `private-encrypted-` channels; optional. */
  encryptionMasterKeyBase64: z
    .string()
    .refine((value) => decodedLength(value) === 32, 'must be 32 bytes encoded as base64')
    .optional(),
  maxPayloadBytes: z.number().int().positive().optional(),
};

export const soketiConfigSchema = z.object({
  provider: z.literal('soketi'),
  ...pusherProtocolShape,
  host: nonEmpty.default('127.0.0.1'),
  port: port.default(6001),
  useTLS: z.boolean().default(false),
});

export const pusherConfigSchema = z.object({
  provider: z.literal('pusher'),
  ...pusherProtocolShape,
  cluster: nonEmpty,
  /** Overrides for a Pusher-compatible endpoint (a stand-in in tests, a proxy in production). */
  host: nonEmpty.optional(),
  port: port.optional(),
  useTLS: z.boolean().default(true),
});

export const ablyConfigSchema = z.object({
  provider: z.literal('ably'),
  /** `appId.keyId:secret`; several keys form a keyring (the first signs, all verify). */
  apiKeys: z
    .array(z.string().regex(/^[^.:\s]+\.[^.:\s]+:\S+$/, 'must look like "appId.keyId:secret"'))
    .min(1, 'at least one Ably API key is required'),
  /** Overrides for a local stand-in: REST and realtime at one host and port, no fallbacks. */
  endpoint: nonEmpty.optional(),
  port: port.optional(),
  tls: z.boolean().default(true),
  maxPayloadBytes: z.number().int().positive().optional(),
});

export const memoryConfigSchema = z.object({
  provider: z.literal('memory'),
  /** Which in-process hub to use; clients with the same name meet this server. */
  hub: nonEmpty.default('default'),
  maxPayloadBytes: z.number().int().positive().optional(),
});

export const realtimeConfigSchema = z.discriminatedUnion('provider', [
  soketiConfigSchema,
  pusherConfigSchema,
  ablyConfigSchema,
  memoryConfigSchema,
]);

export type SoketiConfig = z.output<typeof soketiConfigSchema>;
export type PusherConfig = z.output<typeof pusherConfigSchema>;
export type AblyConfig = z.output<typeof ablyConfigSchema>;
export type MemoryConfig = z.output<typeof memoryConfigSchema>;
export type RealtimeConfig = z.output<typeof realtimeConfigSchema>;
/** What a caller may pass: defaults filled in by validation. */
export type RealtimeConfigInput = z.input<typeof realtimeConfigSchema>;

export { PROVIDER_NAMES };

/** Maps environment variables to config fields, per provider. The names are the public contract. */
const ENV_SCHEMAS = {
  soketi: z.object({
    SOKETI_APP_ID: nonEmpty,
    SOKETI_APP_KEY: nonEmpty,
    SOKETI_APP_SECRET: nonEmpty,
    SOKETI_HOST: nonEmpty.optional(),
    SOKETI_PORT: port.optional(),
    SOKETI_USE_TLS: bool.optional(),
    SOKETI_EVENT_MAX_SIZE_IN_KB: kilobytes.optional(),
    SOKETI_ENCRYPTION_MASTER_KEY_BASE64: z.string().optional(),
  }),
  pusher: z.object({
    PUSHER_APP_ID: nonEmpty,
    PUSHER_KEY: nonEmpty,
    PUSHER_SECRET: nonEmpty,
    PUSHER_CLUSTER: nonEmpty,
    PUSHER_HOST: nonEmpty.optional(),
    PUSHER_PORT: port.optional(),
    PUSHER_USE_TLS: bool.optional(),
    PUSHER_ENCRYPTION_MASTER_KEY_BASE64: z.string().optional(),
  }),
  ably: z.object({
    ABLY_API_KEY: nonEmpty,
    ABLY_ENDPOINT: nonEmpty.optional(),
    ABLY_PORT: port.optional(),
    ABLY_TLS: bool.optional(),
    ABLY_MAX_MESSAGE_SIZE_IN_KB: kilobytes.optional(),
  }),
  memory: z.object({}),
} as const;

function fromEnv(provider: RealtimeConfig['provider'], env: Env): Record<string, unknown> {
  switch (provider) {
    case 'soketi':
      return {
        provider,
        appId: env.SOKETI_APP_ID,
        key: env.SOKETI_APP_KEY,
        secret: env.SOKETI_APP_SECRET,
        host: env.SOKETI_HOST,
        port: env.SOKETI_PORT,
        useTLS: env.SOKETI_USE_TLS,
        maxPayloadBytes: env.SOKETI_EVENT_MAX_SIZE_IN_KB,
        encryptionMasterKeyBase64: env.SOKETI_ENCRYPTION_MASTER_KEY_BASE64,
      };
    case 'pusher':
      return {
        provider,
        appId: env.PUSHER_APP_ID,
        key: env.PUSHER_KEY,
        secret: env.PUSHER_SECRET,
        cluster: env.PUSHER_CLUSTER,
        host: env.PUSHER_HOST,
        port: env.PUSHER_PORT,
        useTLS: env.PUSHER_USE_TLS,
        encryptionMasterKeyBase64: env.PUSHER_ENCRYPTION_MASTER_KEY_BASE64,
      };
    case 'ably':
      return {
        provider,
        apiKeys: env.ABLY_API_KEY?.split(',').map((key) => key.trim()).filter(Boolean),
        endpoint: env.ABLY_ENDPOINT,
        port: env.ABLY_PORT,
        tls: env.ABLY_TLS,
        maxPayloadBytes: env.ABLY_MAX_MESSAGE_SIZE_IN_KB,
      };
    case 'memory':
      return { provider };
  }
}

function formatIssues(issues: readonly z.core.$ZodIssue[], describe: (path: PropertyKey[]) => string): string[] {
  return issues.map((issue) => `${describe(issue.path)}: ${issue.message}`);
}

function configError(problems: string[]): RealtimeError {
  return new RealtimeError(
    'invalid_config',
    `next-realtime is not configured correctly:\n  - ${problems.join('\n  - ')}`,
    { details: { problems } },
  );
}

/** Reads and validates the server configuration from environment variables. */
export function loadConfigFromEnv(env: Env = readProcessEnv()): RealtimeConfig {
  const providerRaw = env.REALTIME_PROVIDER?.trim();
  const provider = z.enum(PROVIDER_NAMES).safeParse(providerRaw);
  if (!provider.success) {
    throw configError([
      providerRaw
        ? `REALTIME_PROVIDER: ${JSON.stringify(providerRaw)} is not one of ${PROVIDER_NAMES.join(', ')}`
        : `REALTIME_PROVIDER: is not set; set it to one of ${PROVIDER_NAMES.join(', ')}`,
    ]);
  }
  // Validate the raw variables first so errors name the variable the user must change.
  const envCheck = ENV_SCHEMAS[provider.data].safeParse(env);
  if (!envCheck.success) {
    throw configError(
      formatIssues(envCheck.error.issues, (path) => String(path[0] ?? 'environment')).map((line) =>
        line.replace(/: Invalid input: expected string, received undefined$/, ': is not set'),
      ),
    );
  }
  const mapped = fromEnv(provider.data, envCheck.data as Env);
  return parseConfig(stripUndefined(mapped));
}

/** Validates a config object passed in code. */
export function parseConfig(input: unknown): RealtimeConfig {
  const result = realtimeConfigSchema.safeParse(input);
  if (!result.success) {
    throw configError(formatIssues(result.error.issues, (path) => path.join('.') || 'config'));
  }
  return result.data;
}

function stripUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function decodedLength(base64: string): number {
  try {
    return atob(base64).length;
  } catch {
    return -1;
  }
}
