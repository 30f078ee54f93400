import { describe, expect, it } from 'vitest';
import { RealtimeError } from '../../src/index.js';
import { withPublishRetries } from '../../src/server/history/publishRetry.js';

/** Retries of live delivery: bounded, jittered, Retry-After honoured, never on input errors. */
function flaky(failures: RealtimeError[]) {
  let calls = 0;
  return {
    run: async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 'sent';
    },
    calls: () => calls,
  };
}
const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};

describe('withPublishRetries', () => {
  it('retries network failures, 5xx and 429, then succeeds', async () => {
    const attempt = flaky([
      new RealtimeError('provider_unavailable', 'ECONNREFUSED', { retryable: true }),
      new RealtimeError('provider_unavailable', '503', { status: 503 }),
      new RealtimeError('rate_limited', '429', { status: 429 }),
    ]);
    await expect(withPublishRetries(attempt.run, { attempts: 4 }, sleep)).resolves.toBe('sent');
    expect(attempt.calls()).toBe(4);
  });

  it('never retries a 4xx input error', async () => {
    const attempt = flaky([new RealtimeError('payload_too_large', 'too big', { status: 413 })]);
    await expect(withPublishRetries(attempt.run, {}, sleep)).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(attempt.calls()).toBe(1);
    const rejected = flaky([new RealtimeError('provider_rejected', 'bad signature', { status: 401 })]);
    await expect(withPublishRetries(rejected.run, {}, sleep)).rejects.toMatchObject({ code: 'provider_rejected' });
    expect(rejected.calls()).toBe(1);
  });

  it('stops after `attempts` and waits with full jitter below the cap', async () => {
    sleeps.length = 0;
    const down = new RealtimeError('provider_unavailable', 'down', { retryable: true });
    const attempt = flaky([down, down, down, down, down]);
    await expect(withPublishRetries(attempt.run, { attempts: 3, baseMs: 100, capMs: 150 }, sleep)).rejects.toBe(down);
    expect(attempt.calls()).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps.every((ms) => ms >= 0 && ms <= 150)).toBe(true);
  });

  it('honours Retry-After, and gives up rather than wait past the deadline', async () => {
    sleeps.length = 0;
    const limited = new RealtimeError('rate_limited', 'slow down', { status: 429, details: { retryAfterSeconds: 2 } });
    const attempt = flaky([limited]);
    await expect(withPublishRetries(attempt.run, { deadlineMs: 5000 }, sleep)).resolves.toBe('sent');
    expect(sleeps).toEqual([2000]);
    const tooLong = flaky([new RealtimeError('rate_limited', 'slow down', { status: 429, details: { retryAfterSeconds: 60 } })]);
    await expect(withPublishRetries(tooLong.run, { deadlineMs: 5000 }, sleep)).rejects.toMatchObject({ code: 'rate_limited' });
    expect(tooLong.calls()).toBe(1);
  });
});
