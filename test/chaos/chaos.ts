/**
 * One chaos run on one backend: the whole service as it is deployed (a
 * gateway and two workers, the service's default settings, Redis and
 * Postgres reached through TCP proxies) against the fake Discord, Slack and
 * Chutes, under steady load, while processes are killed and restarted, a
 * worker is stopped, the stores are cut off and Chutes fails some requests.
 * After the load it waits (bounded) for the answers to settle and reports
 * what every question got.
 */
import { tally } from '../../bench/driver.js';
import type { LogLine } from '../e2e/service-process.js';
import { SLACK, startStack, type Stack } from '../e2e/stack.js';
import { ADMIN_URL } from '../support/pg.js';
import { REDIS_URL } from '../support/redis.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../support/tcp-proxy.js';
import { runFaults } from './faults.js';
import { Load, SLACK_PEOPLE } from './load.js';
import { ChaosModel } from './model.js';
import { seededRandom, sleep, type ChaosPlan } from './plan.js';
import { summarise, type ChaosReport } from './report.js';
import { Supervisor } from './supervisor.js';
import { judge, type Verdicts } from './verdict.js';

const PROGRESS_MS = 30_000;
/** The service's queues: chat answers, and commands (/imagine). */
const QUEUES = ['chat', 'commands'] as const;
/** After the load: no platform or Chutes traffic for this long, and idle queues, ends the drain. */
const QUIET_MS = 15_000;
/** After everything settled: late second answers and 429s still count. */
const SETTLE_MS = 3_000;
/**
 * Slack retries an unacknowledged event at once, after a minute and after five
 * minutes; the later two are shortened so they land within the run.
 */
const SLACK_RETRY_DELAYS_MS = [0, 10_000, 30_000];

export async function runChaos(plan: ChaosPlan, say: (line: string) => void): Promise<ChaosReport> {
  const began = Date.now();
  const random = seededRandom(plan.seed);
  const model = new ChaosModel(plan.answer);
  const postgres = await startTcpProxy(targetOf(ADMIN_URL));
  const redis = plan.backend === 'redis' ? await startTcpProxy(targetOf(REDIS_URL)) : undefined;
  const proxies: { redis?: TcpProxy; postgres: TcpProxy } = {
    postgres,
    ...(redis ? { redis } : {}),
  };
  say(`== chaos on ${plan.backend}: ${plan.loadMs / 1000} s of load, seed ${plan.seed}`);
  const stack = await startStack({
    topology: plan.backend,
    // The service's own defaults: no shortened locks, retries, grace or flood limits.
    tuned: false,
    env: { ROLE: 'gateway' },
    proxies,
    slack: {
      users: [SLACK.ann, SLACK.bob, SLACK.boss, ...SLACK_PEOPLE],
      retryUnacknowledged: true,
      retryDelaysMs: SLACK_RETRY_DELAYS_MS,
    },
    chutes: { defaultChat: model.chat, defaultImage: model.image },
  });
  const supervisor = new Supervisor(stack, say, began);
  let report: ChaosReport;
  let stopProblem: string | undefined;
  try {
    await supervisor.begin();
    // The harness's own queue clients: dropping the database at the end cuts them off.
    for (const name of QUEUES) stack.queue(name).on('error', () => undefined);
    const start = Date.now();
    supervisor.since = start;
    say(`  up in ${((start - began) / 1000).toFixed(1)} s: gateway and two workers; load starts`);
    const load = new Load(stack, plan, random);
    const loading = load.run();
    const faults = runFaults(plan, { supervisor, proxies, random, say }, start);
    const progress = setInterval(() => say(progressLine(stack, load, plan, start)), PROGRESS_MS);
    await sleep(start + plan.loadMs - Date.now());
    load.stop();
    clearInterval(progress);
    await loading;
    say(`  load over: ${load.questions.length} questions; waiting for the faults to end`);
    await faults.done;
    await load.settled();
    await supervisor.waitAllUp(60_000);
    const drained = await drain(stack, load, plan);
    say(`  drain: ${drained}`);
    await sleep(SETTLE_MS);
    const { verdicts, stray } = judge(stack, load.questions, plan.answer);
    report = summarise(verdicts, (q) => supervisor.trace(q.eventId ?? q.key, q.sentAt), {
      backend: plan.backend,
      seed: plan.seed,
      loadMs: plan.loadMs,
      wallStart: start,
      wallMs: Date.now() - began,
      rateLimited: {
        discord: stack.discord.rateLimited.length,
        slack: stack.slack.rateLimited.length,
      },
      kills: [...supervisor.kills],
      termination: supervisor.termination,
      cuts: faults.cuts,
      chutesFaults: { ...model.injected },
      unplanned: [...supervisor.unplanned],
      drain: drained,
      details: await evidence(stack, supervisor, stray),
    });
  } finally {
    supervisor.close();
    // The stack's own check on stopping: no secret in any process's output.
    stopProblem = await stack.stop().then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    await Promise.all([postgres.close(), redis?.close()]);
  }
  return stopProblem ? { ...report, missed: [...report.missed, stopProblem] } : report;
}

function progressLine(stack: Stack, load: Load, plan: ChaosPlan, start: number): string {
  const { verdicts } = judge(stack, load.questions, plan.answer);
  const exact = verdicts.filter((v) => v.outcome === 'exact').length;
  const limited = stack.discord.rateLimited.length + stack.slack.rateLimited.length;
  return (
    `  ${((Date.now() - start) / 1000).toFixed(1).padStart(6)} s  ${load.questions.length} asked, ` +
    `${exact} answered exactly, ${limited} 429s`
  );
}

/**
 * Waits until every accepted question has its exact answer and the queues are
 * idle (`settled`), or the queues are idle and nothing has moved for QUIET_MS
 * (`quiet`: what is missing will not come), or the plan's bound (`bound`).
 */
async function drain(stack: Stack, load: Load, plan: ChaosPlan): Promise<ChaosReport['drain']> {
  const until = Date.now() + plan.drainMs;
  while (Date.now() < until) {
    const idle = await queuesIdle(stack);
    const { verdicts } = judge(stack, load.questions, plan.answer);
    const open = verdicts.filter((v) => v.accepted && v.outcome !== 'exact');
    // A Slack retry still to come may yet be acknowledged (and then must be answered).
    const waiting = idle && !slackRetriesPending(stack, load);
    if (waiting && open.length === 0) return 'settled';
    if (waiting && Date.now() - lastActivity(stack) > QUIET_MS) return 'quiet';
    await sleep(1_000);
  }
  return 'bound';
}

/** Whether Slack will deliver some event again (none of its attempts acknowledged yet). */
function slackRetriesPending(stack: Stack, load: Load): boolean {
  return load.questions.some((q) => {
    if (!q.eventId) return false;
    const attempts = stack.slack.deliveries.filter((d) => d.id === q.eventId);
    if (attempts.some((d) => d.acknowledged)) return false;
    const last = attempts.at(-1);
    return !last || (!last.noRetry && attempts.length <= SLACK_RETRY_DELAYS_MS.length);
  });
}

async function queuesIdle(stack: Stack): Promise<boolean> {
  try {
    for (const name of QUEUES) {
      const counts = await stack
        .queue(name)
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(counts).some((n) => n > 0)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** The last request any fake saw from the service. */
function lastActivity(stack: Stack): number {
  return Math.max(
    stack.discord.requests.at(-1)?.at ?? 0,
    stack.slack.requests.at(-1)?.at ?? 0,
    stack.chutes.requests.at(-1)?.at ?? 0,
  );
}

/**
 * Lines for the report: 429s by route, stray bot messages, failed jobs by
 * reason, error log lines by message.
 */
async function evidence(
  stack: Stack,
  supervisor: Supervisor,
  stray: Verdicts['stray'],
): Promise<string[]> {
  const limited = [
    ...stack.discord.rateLimited.map((r) => `Discord 429 on ${r.route} (${r.scope})`),
    ...stack.slack.rateLimited.map((r) => `Slack 429 on ${r.method}`),
  ];
  const errors = supervisor.started.flatMap(({ service: s }) =>
    s.logs.filter((l) => l.level >= 50).map((l) => `error log: ${l.msg}${errorOf(l)}`),
  );
  const failed: string[] = [];
  for (const name of QUEUES) {
    const jobs = await stack
      .queue(name)
      .getFailed()
      .catch(() => []);
    for (const job of jobs) failed.push(`failed ${name} job: ${job.failedReason.slice(0, 160)}`);
  }
  return [
    ...tally(limited),
    ...tally(stray.map((s) => `stray bot message: ${s}`)),
    ...tally(failed),
    ...tally(errors).slice(0, 12),
  ];
}

/** A log line's error message, shortened, with the ids in it blanked so that lines tally. */
function errorOf(line: LogLine): string {
  const message = (line.err as { message?: unknown } | undefined)?.message;
  if (typeof message !== 'string') return '';
  return `: ${message.replace(/\d{3,}/g, 'N').slice(0, 140)}`;
}
