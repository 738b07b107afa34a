/**
 * `npm run chaos`: the chaos run on Redis, then on Postgres alone, and the
 * table of what every question got; exits 1 when a target is missed (0 lost,
 * 0 answered twice, 0 wrong, 0 429s on each backend).
 *
 *   npm run chaos -- [--minutes 10] [--backend redis,postgres] [--seed N]
 *
 * Needs Postgres and Redis as the tests do (TEST_DATABASE_ADMIN_URL,
 * TEST_REDIS_URL) and a build (`npm run chaos` builds first).
 */
import { parseArgs } from 'node:util';
import { runChaos } from './chaos.js';
import { CHAOS_BACKENDS, fullPlan, type ChaosBackend } from './plan.js';
import { printout, type ChaosReport } from './report.js';

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: npm run chaos -- [--minutes 10] [--backend ${CHAOS_BACKENDS.join(',')}] [--seed N]`,
  );
  process.exit(2);
}

let values: { minutes?: string; backend?: string; seed?: string };
try {
  values = parseArgs({
    args: process.argv.slice(2),
    options: {
      minutes: { type: 'string' },
      backend: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (err) {
  usage(err instanceof Error ? err.message : String(err));
}

const minutes = Number(values.minutes ?? '10');
if (!(minutes >= 0.5 && minutes <= 120)) usage('--minutes: from 0.5 to 120');
const backends = (values.backend ?? CHAOS_BACKENDS.join(',')).split(',').map((name) => {
  if (!CHAOS_BACKENDS.includes(name as ChaosBackend)) usage(`--backend: unknown backend ${name}`);
  return name as ChaosBackend;
});
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (seed !== undefined && !Number.isInteger(seed)) usage('--seed: an integer');

const say = (line: string) => console.log(line);
const reports: ChaosReport[] = [];
const failures: string[] = [];
const began = Date.now();
for (const backend of backends) {
  try {
    reports.push(await runChaos(fullPlan(backend, minutes, seed), say));
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    failures.push(`${backend}: the run failed: ${message}`);
    say(`  FAILED: ${message}`);
  }
}
say('');
if (reports.length) say(printout(reports));
const missed = [...reports.flatMap((r) => r.missed.map((m) => `${r.backend}: ${m}`)), ...failures];
say(`\nwall time ${((Date.now() - began) / 1000).toFixed(0)} s`);
say(missed.length ? `TARGETS MISSED:\n  ${missed.join('\n  ')}` : 'every target met');
process.exit(missed.length ? 1 : 0);
