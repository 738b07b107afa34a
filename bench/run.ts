/**
 * `npm run bench`: end-to-end workloads against the built service and a naive bot,
 * side by side in one run, plus the micro benchmarks.
 *
 *   npm run bench -- [--workers 1,2,4] [--workloads discord-200x200,discord-200x40,slack-30x10,memory-500]
 *                    [--strategies chutes-bot,naive] [--backend redis,postgres,embedded]
 *                    [--micro] [--timeout SECONDS] [--out bench/RESULTS.md]
 *
 * No flags: every workload, both strategies, one process on Redis, and the micro benchmarks.
 * `--backend` picks where chutes-bot keeps its queue: Redis (DATABASE_URL and REDIS_URL),
 * Postgres alone (DATABASE_URL only) or its embedded Postgres (neither).
 * `--micro` alone: only the micro benchmarks. Needs Postgres and Redis as the tests do
 * (TEST_DATABASE_ADMIN_URL, TEST_REDIS_URL); every row has its own database, key prefix
 * and fakes, removed afterwards. Only 127.0.0.1 is contacted.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BACKENDS, runRow, type Backend, type Row, type Strategy } from './harness.js';
import { runMicro } from './micro.js';
import { runMultiTenant } from './multi-tenant.js';
import { buildNaiveBots } from './naive/build.js';
import { ROOT } from './proc.js';
import { DEFINITIONS, machineNote, markdownTable, rowNotes, textTable } from './report.js';
import { WORKLOADS, type Workload } from './workloads.js';

const STRATEGIES: readonly Strategy[] = ['chutes-bot', 'naive'];

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: npm run bench -- [--workers 1,2,4] [--workloads ${WORKLOADS.map((w) => w.name).join(',')}] ` +
      `[--strategies ${STRATEGIES.join(',')}] [--backend ${BACKENDS.join(',')}] [--micro] [--timeout SECONDS] [--out bench/RESULTS.md]`,
  );
  process.exit(2);
}

const argv = process.argv.slice(2);
let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    args: argv,
    options: {
      workers: { type: 'string' },
      workloads: { type: 'string' },
      strategies: { type: 'string' },
      backend: { type: 'string' },
      micro: { type: 'boolean' },
      timeout: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
}
try {
  values = parse().values;
} catch (err) {
  usage(err instanceof Error ? err.message : String(err));
}

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);

const workers = (list(values.workers) ?? ['1']).map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1 || n > 16) usage(`--workers: ${x} is not a count from 1 to 16`);
  return n;
});
const workloads = (list(values.workloads) ?? WORKLOADS.map((w) => w.name)).map((name) => {
  const found = WORKLOADS.find((w) => w.name === name);
  if (!found) usage(`--workloads: unknown workload ${name}`);
  return found;
});
const strategies = (list(values.strategies) ?? [...STRATEGIES]).map((name) => {
  if (!STRATEGIES.includes(name as Strategy)) usage(`--strategies: unknown strategy ${name}`);
  return name as Strategy;
});
const backends = (list(values.backend) ?? ['redis']).map((name) => {
  if (!BACKENDS.includes(name as Backend)) usage(`--backend: unknown backend ${name}`);
  return name as Backend;
});
const timeoutS = values.timeout === undefined ? undefined : Number(values.timeout);
if (timeoutS !== undefined && !(timeoutS > 0 && timeoutS <= 3_600)) {
  usage('--timeout: seconds from 1 to 3600');
}
const selects = ['workers', 'workloads', 'strategies', 'backend'].some((k) => k in values);
const runWorkloads = selects || !values.micro;
const runMicroToo = values.micro === true || !selects;

const say = (line: string) => console.log(line);
const rows: Row[] = [];
const failures: string[] = [];
const startedAt = new Date();

if (runWorkloads) {
  const naive = strategies.includes('naive') ? buildNaiveBots() : { discord: '', slack: '' };
  for (const base of workloads) {
    const w: Workload = timeoutS ? { ...base, timeoutMs: timeoutS * 1000 } : base;
    say(`\n== ${w.name}: ${w.description}`);
    if (w.platform === 'both') {
      for (const backend of backends) {
        const label = `${w.name} / chutes-bot / ${backend}`;
        say(`-- ${label}`);
        try {
          const { row } = await runMultiTenant(w, say, backend);
          rows.push(row);
          say(
            `  done: ${row.metrics.final}/${row.metrics.total} final, ${row.counts.rateLimited} 429s`,
          );
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          failures.push(`${label}: ${message.slice(0, 2_000)}`);
          say(`  FAILED: ${message}`);
        }
      }
      continue;
    }
    for (const strategy of strategies) {
      const counts = strategy === 'naive' || w.singleProcess ? [1] : workers;
      const homes = strategy === 'naive' ? (['redis'] as const) : backends;
      for (const backend of homes)
        for (const n of counts) {
          const label = `${w.name} / ${strategy}${strategy === 'chutes-bot' ? ` / ${backend} / ${n === 1 ? 'ROLE=all' : `gateway + ${n} workers`}` : ''}`;
          say(`-- ${label}`);
          const began = Date.now();
          try {
            const row = await runRow(w, strategy, n, naive, say, backend);
            rows.push(row);
            const m = row.metrics;
            say(
              `  done in ${((Date.now() - began) / 1000).toFixed(0)} s: ${m.final}/${m.total} final, ` +
                `${m.exact} exact, ${row.counts.rateLimited} 429s`,
            );
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            failures.push(`${label}: ${message.slice(0, 2_000)}`);
            say(`  FAILED: ${message}`);
          }
        }
    }
  }
  if (rows.length) {
    say(`\n${textTable(rows)}`);
    for (const row of rows) {
      for (const note of rowNotes(row)) say(`  ${row.workload.name} / ${row.strategy}: ${note}`);
    }
  }
}

let micro: string[] = [];
if (runMicroToo) {
  say('\n== micro benchmarks');
  try {
    micro = await runMicro();
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    failures.push(`micro benchmarks: ${message.slice(0, 2_000)}`);
    say(`  FAILED: ${message}`);
  }
}

if (values.out) {
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const processesLabel = (row: Row) =>
    row.strategy === 'naive'
      ? 'naive'
      : `${row.backend} / ${row.workers === 1 ? 'ROLE=all' : `${row.gateways ? `${row.gateways} gateways + ` : ''}${row.workers} workers`}`;
  const doc = [
    '# Benchmark results',
    '',
    `Produced by \`${command}\` on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `Machine: ${machineNote()}`,
    '',
    'Backends: `redis` sets DATABASE_URL and REDIS_URL; `postgres` sets DATABASE_URL only (queue, ' +
      'order and budget in Postgres); `embedded` sets neither (the service runs its own Postgres ' +
      'under a temporary DATA_DIR, as a new user starts it).',
    '',
    'The service runs with its defaults (only URLs, tokens, database, Redis prefix, PORT, ROLE and ' +
      '`LOG_LEVEL=warn` are set), built and run with the node arguments of `npm start`; the naive ' +
      'strategy is `bench/naive/` (a discord.js bot and a @slack/bolt bot: placeholder, then one ' +
      'edit a second, then a final edit; no queue, no shared budget; their clients wait out 429s).',
    '',
    '## Workloads',
    '',
    ...(runWorkloads ? workloads.map((w) => `- **${w.name}**: ${w.description}.`) : ['(none run)']),
    '',
    ...(rows.length
      ? [
          '## Results',
          '',
          markdownTable(rows),
          '',
          '### Notes',
          '',
          ...rows.flatMap((row) => [
            `- **${row.workload.name} / ${row.strategy} / ${processesLabel(row)}**`,
            ...rowNotes(row).map((n) => `  - ${n}`),
          ]),
          '',
        ]
      : []),
    ...(failures.length ? ['## Rows that failed', '', ...failures.map((f) => `- ${f}`), ''] : []),
    '## How each figure is measured',
    '',
    DEFINITIONS,
    '',
    ...(micro.length ? ['## Micro benchmarks', '', '```', ...micro, '```', ''] : []),
  ].join('\n');
  const path = resolve(ROOT, values.out);
  // Formatted like the rest of the repository, so `npm run lint` stays clean.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(doc, { ...options, filepath: path }));
  say(`\nwrote ${path}`);
}
process.exit(failures.length ? 1 : 0);
