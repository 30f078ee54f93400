import { isRealtimeError } from '../../core/errors.js';

/**
 * Retries of the live delivery of a history-channel event. Safe only because the event carries
 * its id: a retry after a lost response may deliver the event twice, and the library client drops
 * the second copy (raw pusher-js clients see both; docs/delivery.md).
 */
export interface PublishRetryOptions {
  /** Attempts in all, the first included. Default 5; 1 turns retries off. */
  attempts?: number;
  /** No attempt starts later than this after the first. Default 10,000 ms. */
  deadlineMs?: number;
  /** Full-jitter exponential backoff: a random delay up to min(capMs, baseMs * 2^n). Default 100. */
  baseMs?: number;
  /** Default 2,000 ms. */
  capMs?: number;
}

export const DEFAULT_PUBLISH_RETRY: Required<PublishRetryOptions> = { attempts: 5, deadlineMs: 10_000, baseMs: 100, capMs: 2000 };

/**
 * Network failures, timeouts, 5xx and 429 are worth another attempt; a 4xx answer is about the
 * input (or the credentials) and would fail the same way again.
 */
export function isRetryablePublishError(error: unknown): boolean {
  if (!isRealtimeError(error)) return false;
  if (error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 429) return false;
  return error.retryable;
}

/** Seconds the provider asked us to wait (Retry-After), when it said. */
function retryAfterMs(error: unknown): number | undefined {
  const seconds = isRealtimeError(error) ? error.details?.retryAfterSeconds : undefined;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

export async function withPublishRetries<T>(
  run: () => Promise<T>,
  options: PublishRetryOptions = {},
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  const policy = { ...DEFAULT_PUBLISH_RETRY, ...options };
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryablePublishError(error)) throw error;
      const jittered = Math.random() * Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
      const delay = Math.max(jittered, retryAfterMs(error) ?? 0);
      if (Date.now() - started + delay > policy.deadlineMs) throw error;
      await sleep(delay);
    }
  }
}
