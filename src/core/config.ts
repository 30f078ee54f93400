import { z } from 'zod';
import type { Env } from './env.js';

/**
 * The shape of a provider's server configuration, and the field types they share. Each provider
 * folder's config.ts describes its own (schema, environment variables, mapping); the registry
 * (src/registry/configs.ts) joins them and src/server/config.ts reads and validates them, every
 * problem reported in ONE error, so a misconfigured deploy is fixed in one round.
 */
export interface ProviderConfigPart {
  /** The config object as `createRealtime(config)` takes it: `provider: z.literal(name)` and its fields. */
  readonly schema: z.ZodObject;
  /**
   * The provider's environment variables (their names are the public contract), validated before
   * they are mapped so that every error names the variable the user must change.
   */
  readonly envSchema: z.ZodObject;
  /** Validated variables -> the config object's fields (undefined: not set). */
  fromEnv(env: Env): Record<string, unknown>;
}

export const port = z.coerce.number().int().min(1).max(65535);
export const bool = z.union([z.boolean(), z.stringbool()]);
export const nonEmpty = z.string().trim().min(1, 'must not be empty');
/** Bytes; given in the environment as kilobytes (like SOKETI_EVENT_MAX_SIZE_IN_KB). */
export const kilobytes = z.coerce.number().positive().transform((kb) => Math.floor(kb * 1024));
/** What a config may set to lower or raise the provider's default payload limit. */
export const maxPayloadBytes = z.number().int().positive().optional();

/** A base64 key that decodes to exactly `bytes` bytes. */
export function base64Key(bytes: number) {
  return z.string().refine((value) => decodedLength(value) === bytes, `must be ${bytes} bytes encoded as base64`);
}

function decodedLength(base64: string): number {
  try {
    return atob(base64).length;
  } catch {
    return -1;
  }
}
