// `npm run bench`: the library next to the raw provider SDK, in one run, on local Soketi
// processes it starts and stops itself. One file per scenario in bench/scenarios/; each alternates
// library and raw rounds and prints medians and their ratio (see bench/harness.mjs).
//   BENCH_ROUNDS=N        rounds per figure (default 3)
//   BENCH_ONLY=word,...   only scenarios (file names) or figures whose name contains a word
//   BENCH_JSON=file       also write every figure as JSON
// Budget: under 10 minutes on 2 shared cores (the chat app's `next build` is most of it the
// first time; later runs reuse the build while dist/ is unchanged).
import { cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { startSoketi } from '../scripts/soketiProcess.mjs';
import { results, ROUNDS, selectWholeScenario } from './harness.mjs';

const scenarios = ['publish', 'e2eLatency', 'fanout', 'auth', 'reconnectStorm', 'history'];
const only = process.env.BENCH_ONLY?.split(',');
const started = Date.now();
console.log(
  `next-realtime benchmarks — ${new Date().toISOString().slice(0, 16)}Z, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), load ${(await import('node:os')).loadavg().map((n) => n.toFixed(1)).join(' ')}, ${ROUNDS} interleaved rounds, medians`,
);

let soketi;
let failed = false;
try {
  for (const name of scenarios) {
    // A scenario runs when BENCH_ONLY names it, or names one of its figures (filtered inside).
    const module = await import(`./scenarios/${name}.mjs`);
    const named = !only || only.some((word) => name.includes(word));
    if (!named && !module.figureNames?.some((figure) => only.some((word) => figure.includes(word)))) continue;
    selectWholeScenario(named);
    // Public-channel subscribers never sign in: Soketi's "authorized connections only" setting
    // (on in the test harness) would close them after 30 s.
    soketi ??= await startSoketi({ quiet: true, env: { SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'false' } });
    const scenarioStart = Date.now();
    console.log(`\n## ${name}`);
    const replaced = await module.run({ soketi });
    // A scenario that restarts Soketi hands back the one now running.
    if (replaced) soketi = replaced;
    console.log(`   (${((Date.now() - scenarioStart) / 1000).toFixed(0)} s)`);
  }
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await soketi?.stop();
}
console.log(`\nwall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
process.exit(failed ? 1 : 0);
