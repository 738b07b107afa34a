/**
 * One row of the table: a workload against one strategy with a number of worker
 * processes, on fresh fakes, a database and a Redis prefix of its own, all removed after.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeChutes } from '../test/fakes/chutes/index.js';
import { createTestDatabase, type TestDatabase } from '../test/support/pg.js';
import { connectRedis, deletePrefix, REDIS_URL, uniquePrefix } from '../test/support/redis.js';
import { loadConfig } from '../src/config.js';
import { answerChunks, modelFor, questionMarker } from './answers.js';
import { discordDriver } from './discord-driver.js';
import type { Asked, PlatformCounts, PlatformDriver } from './driver.js';
import { computeMetrics, isFinal, type AnswerView, type RowMetrics } from './metrics.js';
import { Child, freePort, RssSampler, sleep, waitHealthy } from './proc.js';
import { slackDriver } from './slack-driver.js';
import { CHUTES_KEY, type Workload } from './workloads.js';

/** The node arguments `npm start` runs the service with: the benchmark runs exactly that. */
export const START_ARGS = ((): string[] => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  };
  const command = pkg.scripts.start.split('&&').at(-1)!.trim().split(/\s+/);
  if (command[0] !== 'node') throw new Error(`npm start does not run node: ${pkg.scripts.start}`);
  // Absolute, since the service runs outside the repository (see proc.ts).
  return command
    .slice(1)
    .map((arg) =>
      arg.endsWith('.js') ? fileURLToPath(new URL(`../${arg}`, import.meta.url)) : arg,
    );
})();

export type Strategy = 'chutes-bot' | 'naive';
/**
 * Where chutes-bot keeps queue and data: Redis + Postgres, Postgres alone
 * (DATABASE_URL only), or its own embedded Postgres (neither set).
 */
export type Backend = 'redis' | 'postgres' | 'embedded';
export const BACKENDS: readonly Backend[] = ['redis', 'postgres', 'embedded'];

export interface Row {
  readonly workload: Workload;
  readonly strategy: Strategy;
  /** chutes-bot's backend (the naive bots have none). */
  readonly backend?: Backend;
  /** Worker processes (chutes-bot); 1 means one ROLE=all process. */
  readonly workers: number;
  /** Gateway processes when more than one (the multi-tenant workload). */
  readonly gateways?: number;
  readonly metrics: RowMetrics;
  readonly counts: PlatformCounts;
  readonly rss: readonly { label: string; bytes: number }[];
  readonly notes: readonly string[];
  readonly timedOut: boolean;
}

export interface NaiveBots {
  readonly discord: string;
  readonly slack: string;
}

/** The model a new user's service asks for (DEFAULT_MODEL's default); the fake serves it. */
export function defaultModel(): string {
  try {
    return loadConfig({
      DATABASE_URL: 'postgres://unused',
      REDIS_URL: 'redis://unused',
      CHUTES_API_KEY: 'unused',
      SLACK_BOT_TOKEN: 'xoxb-unused',
      SLACK_SIGNING_SECRET: 'unused',
    }).defaults.model;
  } catch {
    return 'deepseek-ai/DeepSeek-V3-0324';
  }
}

const POLL_MS = 1_000;
const PROGRESS_MS = 10_000;
/** After the last answer is final: late edits and 429s still count. */
const SETTLE_MS = 1_000;

export async function runRow(
  w: Workload,
  strategy: Strategy,
  workers: number,
  naive: NaiveBots,
  say: (line: string) => void,
  backend: Backend = 'redis',
): Promise<Row> {
  const model = defaultModel();
  const chutes = await startFakeChutes({
    apiKey: CHUTES_KEY,
    models: [model],
    defaultChat: modelFor(w.shape),
    recordChunks: true,
  });
  const driver: PlatformDriver =
    w.platform === 'discord' ? await discordDriver(w) : await slackDriver(w);
  const children: Child[] = [];
  const sampler = new RssSampler(() => children);
  const notes: string[] = [];
  let database: TestDatabase | undefined;
  const redis = strategy === 'chutes-bot' && backend === 'redis' ? connectRedis() : undefined;
  const prefix = uniquePrefix('bench');
  let dataDir: string | undefined;
  try {
    if (strategy === 'chutes-bot') {
      if (backend === 'embedded') {
        // Reachable by the unprivileged user the embedded Postgres runs as, when this runs as root.
        dataDir = await mkdtemp(join(tmpdir(), 'chutes-bot-bench-'));
        await chmod(dataDir, 0o755);
      } else {
        database = await createTestDatabase({ migrate: false });
      }
      const env = {
        CHUTES_API_KEY: CHUTES_KEY,
        CHUTES_BASE_URL: chutes.baseUrl,
        CHUTES_IMAGE_URL: chutes.imageUrl,
        ...driver.serviceEnv,
        ...(database ? { DATABASE_URL: database.url } : {}),
        ...(backend === 'redis' ? { REDIS_URL } : {}),
        ...(dataDir ? { DATA_DIR: dataDir } : {}),
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      };
      const roles = workers === 1 ? ['all'] : ['gateway', ...Array<string>(workers).fill('worker')];
      // One after the other: each applies the migrations at start.
      for (const [k, role] of roles.entries()) {
        const port = await freePort();
        const child = new Child({
          label: role === 'worker' ? `worker${k}` : role,
          args: START_ARGS,
          env: { ...env, ROLE: role, PORT: String(port) },
        });
        children.push(child);
        await waitHealthy(child, port, 60_000);
        if (role !== 'worker') driver.eventsTo(port);
      }
    } else {
      const port = await freePort();
      const child = new Child({
        label: 'naive',
        args: [driver.naiveBot === 'discord' ? naive.discord : naive.slack],
        env: {
          CHUTES_API_KEY: CHUTES_KEY,
          CHUTES_BASE_URL: chutes.baseUrl,
          CHUTES_MODEL: model,
          ...driver.naiveEnv,
          PORT: String(port),
        },
      });
      children.push(child);
      await child.waitForLine(/naive bot is up/, 60_000);
      driver.eventsTo(port);
    }
    say(`  up: ${children.map((c) => `${c.label} (pid ${c.pid})`).join(', ')}; firing`);

    const asked: Asked[] = [];
    const start = Date.now() + 100;
    for (let i = 0; i < w.questions; i++) {
      const wait = start + (i * w.spreadMs) / w.questions - Date.now();
      if (wait > 0) await sleep(wait);
      asked.push(driver.ask(i, questionMarker(i + 1)));
    }
    const modelText = (marker: string) => answerChunks(marker, w.shape).join('');
    const firstEvent = Math.min(...asked.map((a) => a.eventAt));
    const deadline = firstEvent + w.timeoutMs;
    let views: AnswerView[] = [];
    let timedOut = false;
    let nextProgress = Date.now() + PROGRESS_MS;
    for (;;) {
      views = driver.views(asked, modelText);
      const final = views.filter(isFinal).length;
      if (final === asked.length) break;
      const exited = children.filter((c) => !c.running);
      if (exited.length) {
        notes.push(`process exited before the end: ${exited.map((c) => c.label).join(', ')}`);
        break;
      }
      if (Date.now() >= deadline) {
        timedOut = true;
        notes.push(`timed out after ${w.timeoutMs / 1000} s: ${final}/${asked.length} final`);
        break;
      }
      if (Date.now() >= nextProgress) {
        nextProgress += PROGRESS_MS;
        const c = driver.counts();
        say(
          `  ${((Date.now() - firstEvent) / 1000).toFixed(0)} s: ${final}/${asked.length} final, ` +
            `${chutes.requests.length} Chutes requests, ${c.posts} posts, ${c.edits} edits, ${c.rateLimited} 429s`,
        );
      }
      await sleep(POLL_MS);
    }
    await sleep(SETTLE_MS);
    sampler.sample();
    const endAt = Date.now();
    views = driver.views(asked, modelText);
    const metrics = computeMetrics(views, chutes.requests, endAt);
    const counts = driver.counts();
    for (const c of children) {
      if (c.errorLines > 0) {
        notes.push(
          `${c.label} wrote ${c.errorLines} error lines; last: ${c.tail.at(-1)?.slice(0, 300)}`,
        );
      }
    }
    return {
      workload: w,
      strategy,
      backend: strategy === 'chutes-bot' ? backend : undefined,
      workers: strategy === 'naive' ? 1 : workers,
      metrics,
      counts,
      rss: children.map((c) => ({ label: c.label, bytes: c.rssPeak })),
      notes,
      timedOut,
    };
  } finally {
    sampler.stop();
    await Promise.all(children.map((c) => c.stop()));
    await driver.close();
    await chutes.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      await redis.quit();
    }
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}
