// Shared by every `npm run bench` scenario: interleaved library/raw rounds, medians, ratios, and
// one line per figure. On a shared 2-core machine absolute numbers drift between runs; the ratio
// of interleaved rounds (AB BA AB ...) run seconds apart is what stays meaningful.
import { readFileSync } from 'node:fs';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const only = process.env.BENCH_ONLY?.split(',');
export const results = [];

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

let wholeScenario = false;
/** run.mjs: the current scenario file was named in BENCH_ONLY, so every figure in it runs. */
export const selectWholeScenario = (value) => (wholeScenario = value);
/** Does the figure named `name` run (BENCH_ONLY=word,word narrows by substring)? */
export const selected = (name) => wholeScenario || !only || only.some((word) => name.includes(word));

/** Operations per second of `count` sequential calls. */
export async function rate(count, run) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await run(i);
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** `workers` loops sharing `count` calls: operations per second with that many in flight. */
export async function rateInFlight(count, workers, run) {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < count) await run(next++);
  }));
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

const fmt = (value) => (Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2));

/** Prints one figure and records it for BENCH_JSON. */
export function report(name, unit, library, raw, { lowerIsBetter = false, note = '' } = {}) {
  // "x" = library/raw for higher-is-better figures (throughput), raw/library for times: >1 = the
  // library is better by that factor.
  const advantage = lowerIsBetter ? raw / library : library / raw;
  const result = { name, unit, library, raw, advantage, lowerIsBetter, note };
  results.push(result);
  console.log(
    `${name.padEnd(58)} library ${fmt(library).padStart(9)} ${unit.padEnd(5)} raw ${fmt(raw).padStart(9)} ${unit.padEnd(5)} ${lowerIsBetter ? 'raw/library' : 'library/raw'} x${advantage.toFixed(2)}${note ? `  (${note})` : ''}`,
  );
  return result;
}

/** Prints a figure that has no raw counterpart. */
export function reportOne(name, text) {
  results.push({ name, text });
  console.log(`${name.padEnd(58)} ${text}`);
}

/**
 * Runs `library` and `raw` alternately, ROUNDS times (after one warm-up each, unless warmUp is
 * false), AB BA AB ...: returns what each round of each side returned.
 */
async function interleaved(library, raw, { rounds = ROUNDS, warmUp = true } = {}) {
  const lib = [];
  const sdk = [];
  if (warmUp) {
    await library();
    await raw();
  }
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      lib.push(await library());
      sdk.push(await raw());
    } else {
      sdk.push(await raw());
      lib.push(await library());
    }
  }
  return { lib, sdk };
}

/** Interleaved rounds of `library` and `raw` (each returns a number): reports the medians. */
export async function compare(name, unit, library, raw, { lowerIsBetter = false, rounds = ROUNDS, warmUp = true, note } = {}) {
  if (!selected(name)) return undefined;
  const { lib, sdk } = await interleaved(library, raw, { rounds, warmUp });
  return report(name, unit, median(lib), median(sdk), { lowerIsBetter, note });
}

/** Like compare, for rounds that yield several figures at once: reports each key of `figures`. */
export async function compareMany(label, figures, library, raw, { rounds = ROUNDS, warmUp = true } = {}) {
  if (!selected(label)) return;
  const { lib, sdk } = await interleaved(library, raw, { rounds, warmUp });
  for (const [key, { name, unit, lowerIsBetter }] of Object.entries(figures)) {
    report(name, unit, median(lib.map((r) => r[key])), median(sdk.map((r) => r[key])), { lowerIsBetter });
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident memory of a process in bytes, from /proc. */
export function residentBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/** Waits until `check()` is true, polling; throws after `timeoutMs`. */
export async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
