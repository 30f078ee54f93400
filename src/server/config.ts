import { z } from 'zod';
import { readProcessEnv, type Env } from '../core/env.js';
import { RealtimeError } from '../core/errors.js';
import { providerConfigPart, realtimeConfigSchema, type RealtimeConfig } from '../registry/configs.js';
import { PROVIDER_NAMES } from '../registry/names.js';

export type { RealtimeConfig, RealtimeConfigInput } from '../registry/configs.js';

/**
 * Server configuration. `createRealtime()` reads it from the environment; `createRealtime(config)`
 * takes the same shape directly. Either way it is validated once, and every problem is reported
 * in ONE error, so a misconfigured deploy is fixed in one round instead of one variable at a time.
 */

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
  const part = providerConfigPart(provider.data);
  // Validate the raw variables first so errors name the variable the user must change.
  const envCheck = part.envSchema.safeParse(env);
  if (!envCheck.success) {
    throw configError(
      formatIssues(envCheck.error.issues, (path) => String(path[0] ?? 'environment')).map((line) =>
        line.replace(/: Invalid input: expected string, received undefined$/, ': is not set'),
      ),
    );
  }
  return parseConfig(stripUndefined(part.fromEnv(envCheck.data as Env)));
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
