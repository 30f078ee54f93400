/**
 * Per-user rate limiting for token issuance. The default is an in-memory token bucket (one per
 * process); several instances can share a limiter by passing one backed by Redis (anything with
 * this `consume` shape).
 */
export interface RateLimitResult {
  allowed: boolean;
  /** Seconds until the next request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  consume(key: string): RateLimitResult | Promise<RateLimitResult>;
}

export interface TokenBucketOptions {
  /** Requests allowed in a burst. Default 10. */
  capacity?: number;
  /** Tokens added back per second. Default 10 per minute. */
  refillPerSecond?: number;
  /** Buckets kept at most; the least recently used are dropped first. Default 10,000. */
  maxKeys?: number;
  /** For tests. */
  now?: () => number;
}

export function createTokenBucketLimiter(options: TokenBucketOptions = {}): RateLimiter {
  const capacity = options.capacity ?? 10;
  const refillPerSecond = options.refillPerSecond ?? 10 / 60;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  if (!(capacity >= 1) || !(refillPerSecond > 0)) throw new Error('token bucket: capacity must be >= 1 and refillPerSecond > 0');
  // Map iteration order is insertion order: re-inserting on use keeps it least-recently-used first.
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    consume(key) {
      const time = now();
      const bucket = buckets.get(key) ?? { tokens: capacity, at: time };
      buckets.delete(key);
      bucket.tokens = Math.min(capacity, bucket.tokens + ((time - bucket.at) / 1000) * refillPerSecond);
      bucket.at = time;
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, retryAfterSeconds: 0 };
      }
      return { allowed: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / refillPerSecond) };
    },
  };
}
