import { describe, expect, it } from 'vitest';
import { backoffWindow, DEFAULT_RECONNECT, fullJitterDelay, resolveReconnectOptions } from '../../src/client/backoff.js';

describe('full-jitter exponential backoff', () => {
  it('defaults to base 1 s and cap 30 s', () => {
    expect(DEFAULT_RECONNECT).toMatchObject({ baseMs: 1000, capMs: 30_000 });
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((attempt) => backoffWindow(attempt, DEFAULT_RECONNECT))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('sleeps random(0, min(cap, base * 2^attempt))', () => {
    const options = { baseMs: 100, capMs: 1000 };
    expect(fullJitterDelay(0, options, () => 0)).toBe(0);
    expect(fullJitterDelay(0, options, () => 0.5)).toBe(50);
    expect(fullJitterDelay(2, options, () => 0.999)).toBe(399);
    expect(fullJitterDelay(10, options, () => 0.999)).toBe(999);
  });

  it('is spread uniformly over the window: no burst, mean near the middle', () => {
    const options = { baseMs: 1000, capMs: 30_000 };
    const samples = Array.from({ length: 20_000 }, () => fullJitterDelay(3, options));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(8000);
    const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
    expect(mean).toBeGreaterThan(3800);
    expect(mean).toBeLessThan(4200);
    // Eight equal buckets each get about an eighth.
    const buckets = new Array(8).fill(0);
    for (const value of samples) buckets[Math.floor(value / 1000)] += 1;
    for (const bucket of buckets) expect(bucket / samples.length).toBeGreaterThan(0.1);
  });

  it('validates its options', () => {
    expect(resolveReconnectOptions({ baseMs: 50, capMs: 10 })).toMatchObject({ baseMs: 50, capMs: 50 });
    expect(() => resolveReconnectOptions({ baseMs: -1 })).toThrow(/baseMs/);
    expect(() => resolveReconnectOptions({ capMs: Number.NaN })).toThrow(/capMs/);
  });
});
