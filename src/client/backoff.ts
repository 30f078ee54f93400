/**
 * Reconnect timing. After a server restart every client loses its connection in the same
 * instant; if they all come back in the same instant too (pusher-js does, on close code 4200),
 * the restarted server and the token endpoint take the whole fleet's reconnects at once.
 * Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015) spreads them
 * uniformly over a window that doubles with every failed attempt:
 *
 *   sleep = random(0, min(cap, base * 2^attempt))
 */
export interface ReconnectOptions {
  /** Window of the first retry after a lost connection, in ms. Default 1000. */
  baseMs?: number;
  /** Largest window, in ms. Default 30000. */
  capMs?: number;
  /** Give up (state `failed`) after this many consecutive failed attempts. Default: never. */
  maxAttempts?: number;
  /**
   * The first attempt that has not connected after this long (token request included) counts as
   * failed, in ms. Default 10000. Each retry waits twice as long as the one before, up to
   * `connectTimeoutCapMs`: an attempt that is merely slow (a loaded server, a slow network) gets
   * the time it needs instead of being abandoned and started over forever.
   */
  connectTimeoutMs?: number;
  /** Longest time one attempt may take, in ms. Default 60000 (pusher-js's own limit). */
  connectTimeoutCapMs?: number;
}

export interface ResolvedReconnectOptions {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
  connectTimeoutMs: number;
  connectTimeoutCapMs: number;
}

export const DEFAULT_RECONNECT: ResolvedReconnectOptions = {
  baseMs: 1000,
  capMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  connectTimeoutMs: 10_000,
  connectTimeoutCapMs: 60_000,
};

export function resolveReconnectOptions(options: ReconnectOptions | undefined): ResolvedReconnectOptions {
  const resolved = { ...DEFAULT_RECONNECT };
  for (const key of ['baseMs', 'capMs', 'maxAttempts', 'connectTimeoutMs', 'connectTimeoutCapMs'] as const) {
    const value = options?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new TypeError(`reconnect.${key} must be a number >= 0, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  if (resolved.capMs < resolved.baseMs) resolved.capMs = resolved.baseMs;
  if (resolved.connectTimeoutCapMs < resolved.connectTimeoutMs) resolved.connectTimeoutCapMs = resolved.connectTimeoutMs;
  return resolved;
}

/** The upper end of the window for `attempt` (0 for the first retry). */
export function backoffWindow(attempt: number, options: Pick<ResolvedReconnectOptions, 'baseMs' | 'capMs'>): number {
  // 2^attempt overflows to Infinity long after the cap applies; min() keeps the result finite.
  return Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
}

/** Full-jitter delay before retry number `attempt` (0-based). */
export function fullJitterDelay(
  attempt: number,
  options: Pick<ResolvedReconnectOptions, 'baseMs' | 'capMs'>,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffWindow(attempt, options));
}

/**
 * How long attempt number `attempt` (0 = the first connect, n = the nth retry) may take before it
 * counts as failed: connectTimeoutMs doubled per retry, at most connectTimeoutCapMs. A fixed bound
 * would, on a server or machine slower than it, abandon every attempt and never connect.
 */
export function attemptTimeout(attempt: number, options: Pick<ResolvedReconnectOptions, 'connectTimeoutMs' | 'connectTimeoutCapMs'>): number {
  return Math.min(options.connectTimeoutCapMs, options.connectTimeoutMs * 2 ** Math.max(0, attempt));
}
