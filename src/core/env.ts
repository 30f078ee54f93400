/**
 * Server-side variables, on runtimes with or without `process` (Edge, Workers). Kept apart from
 * config.ts so that code which only needs a variable does not pull in zod.
 */
export type Env = Record<string, string | undefined>;

/** `process.env` when it exists (not in every runtime), else nothing. */
export function readProcessEnv(): Env {
  return typeof process !== 'undefined' && process.env ? process.env : {};
}
