/**
 * The multi-tenant workload: many Discord servers over several shards held by
 * two gateway processes, and many Slack workspaces installed through the
 * OAuth flow, with mentions spread over all of them. Besides the usual
 * figures it measures how long the shards take to come up and how long a
 * killed gateway's shards stay dark before the other gateway resumes them,
 * and whether the mentions sent in the dark are answered, once.
 */
import { startFakeChutes } from '../test/fakes/chutes/index.js';
import { manyGuilds } from '../test/fakes/discord/shards.js';
import { createTestDatabase, type TestDatabase } from '../test/support/pg.js';
import { connectRedis, deletePrefix, REDIS_URL, uniquePrefix } from '../test/support/redis.js';
import { answerChunks, modelFor, questionMarker } from './answers.js';
import { discordDriver } from './discord-driver.js';
import type { Asked, PlatformCounts } from './driver.js';
import type { Backend, Row } from './harness.js';
import { defaultModel, START_ARGS } from './harness.js';
import { computeMetrics, isFinal, percentile, type AnswerView } from './metrics.js';
import { Child, freePort, RssSampler, sleep, waitHealthy } from './proc.js';
import { slackTenants } from './slack-tenants.js';
import { CHUTES_KEY, DISCORD, type Workload } from './workloads.js';

/** The workload's shape: the issue's numbers. */
export const MULTI_TENANT = {
  guilds: 10_000,
  shards: 8,
  gateways: 2,
  workers: 2,
  workspaces: 50,
  /** Mentions in the first round: Discord ones over that many servers, Slack ones over every workspace. */
  discordQuestions: 160,
  slackQuestions: 100,
  spreadMs: 5_000,
  /** Mentions sent to the killed gateway's servers while its shards are dark. */
  darkQuestions: 24,
  darkSpreadMs: 6_000,
} as const;

export interface MultiTenantFigures {
  /** Spawn of both gateways → every shard connected (ms). */
  readonly shardsUpMs: number | undefined;
  /** Spawn → every gateway holds its share (ms), from each process's `chutes_bot_gateway_shards`. */
  readonly balancedMs: number | undefined;
  readonly heldPerGateway: readonly number[];
  /** The killed gateway's shards and, per shard, SIGKILL → connected again (ms). */
  readonly darkShards: readonly number[];
  readonly darkMs: readonly number[];
  readonly resumes: number;
  readonly identifiesAfterKill: number;
  /** Mentions sent in the dark: answered (final), answered more than once. */
  readonly darkAnswered: number;
  readonly darkTwice: number;
  readonly darkTotal: number;
}

const POLL_MS = 100;

/** Reads `chutes_bot_gateway_shards{platform="discord"}` off a process's /metrics. */
async function heldShards(port: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
      signal: AbortSignal.timeout(2_000),
    });
    const text = await res.text();
    const line = /^chutes_bot_gateway_shards\{platform="discord"\} (\d+)/m.exec(text);
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function runMultiTenant(
  w: Workload,
  say: (line: string) => void,
  backend: Backend = 'redis',
): Promise<{ row: Row; figures: MultiTenantFigures }> {
  const M = MULTI_TENANT;
  const model = defaultModel();
  const chutes = await startFakeChutes({
    apiKey: CHUTES_KEY,
    models: [model],
    defaultChat: modelFor(w.shape),
    recordChunks: true,
  });
  const guilds = manyGuilds(M.guilds, { channelsPerGuild: 1 });
  // Servers asked in, spread evenly over shards (ids are spread by manyGuilds).
  const asked = guilds
    .filter((_, i) => i % Math.floor(M.guilds / M.discordQuestions) === 0)
    .map((g) => g.channels![0]!.id);
  const discord = await discordDriver(w, {
    guilds,
    channels: asked,
    recommendedShards: M.shards,
    maxConcurrency: 1,
  });
  const slack = await slackTenants(M.workspaces);
  const children: Child[] = [];
  const sampler = new RssSampler(() => children);
  const notes: string[] = [];
  let database: TestDatabase | undefined;
  const redis = backend === 'redis' ? connectRedis() : undefined;
  const prefix = uniquePrefix('bench');
  try {
    database = await createTestDatabase({ migrate: false });
    const env = {
      CHUTES_API_KEY: CHUTES_KEY,
      CHUTES_BASE_URL: chutes.baseUrl,
      CHUTES_IMAGE_URL: chutes.imageUrl,
      ...discord.serviceEnv,
      DATABASE_URL: database.url,
      ...(backend === 'redis' ? { REDIS_URL } : {}),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
    };
    // The first process applies the migrations; the rest start together.
    const start = async (
      label: string,
      role: string,
      port: number,
      extra: Record<string, string> = {},
    ) => {
      const child = new Child({
        label,
        args: START_ARGS,
        env: { ...env, ...extra, ROLE: role, PORT: String(port) },
      });
      children.push(child);
      return { child, port };
    };
    // Slack's events and its OAuth redirect reach the first gateway (one request URL, as behind a proxy).
    const ports = await Promise.all(Array.from({ length: M.gateways }, () => freePort()));
    const slackEnv = slack.serviceEnv(`http://127.0.0.1:${ports[0]}`);
    const first = await start('w1', 'worker', await freePort(), slackEnv);
    await waitHealthy(first.child, first.port, 60_000);
    const spawnedAt = Date.now();
    const gateways = await Promise.all(
      ports.map((port, k) => start(`gateway${k + 1}`, 'gateway', port, slackEnv)),
    );
    const rest = await Promise.all(
      Array.from({ length: M.workers - 1 }, async (_, k) =>
        start(`w${k + 2}`, 'worker', await freePort(), slackEnv),
      ),
    );
    await Promise.all(
      [...gateways, ...rest].map(({ child, port }) => waitHealthy(child, port, 120_000)),
    );
    slack.eventsTo(ports[0]!);

    // Shard start-up: every shard connected, then every gateway holding its share.
    let shardsUpMs: number | undefined;
    let balancedMs: number | undefined;
    let held: number[] = [];
    const share = Math.ceil(M.shards / M.gateways);
    const upBy = Date.now() + 120_000;
    while (Date.now() < upBy && (shardsUpMs === undefined || balancedMs === undefined)) {
      if (shardsUpMs === undefined && discord.fake.connectedShards().length === M.shards)
        shardsUpMs = Date.now() - spawnedAt;
      held = (await Promise.all(gateways.map((g) => heldShards(g.port)))).map((n) => n ?? 0);
      if (balancedMs === undefined && held.every((n) => n === share) && shardsUpMs !== undefined)
        balancedMs = Date.now() - spawnedAt;
      await sleep(POLL_MS);
    }
    say(
      `  shards: all ${M.shards} connected after ${shardsUpMs ?? '–'} ms, ` +
        `held ${held.join('/')} after ${balancedMs ?? '–'} ms`,
    );
    await slack.install(gateways[0]!.port);
    say(`  up: ${children.map((c) => `${c.label} (pid ${c.pid})`).join(', ')}; firing`);

    // Round one: mentions spread over servers and workspaces at once.
    const questions: Asked[] = [];
    const platformOf = new Map<string, 'discord' | 'slack'>();
    const total = M.discordQuestions + M.slackQuestions;
    const began = Date.now() + 100;
    for (let i = 0; i < total; i++) {
      const wait = began + (i * M.spreadMs) / total - Date.now();
      if (wait > 0) await sleep(wait);
      const marker = questionMarker(i + 1);
      // Slack's questions spread evenly among Discord's.
      const toSlack =
        Math.floor(((i + 1) * M.slackQuestions) / total) >
        Math.floor((i * M.slackQuestions) / total);
      const q = toSlack ? slack.ask(i, marker) : discord.ask(i, marker);
      platformOf.set(q.key, toSlack ? 'slack' : 'discord');
      questions.push(q);
    }
    const modelText = (marker: string) => answerChunks(marker, w.shape).join('');
    const views = (list: readonly Asked[]): AnswerView[] => {
      const d = list.filter((q) => platformOf.get(q.key) === 'discord');
      const s = list.filter((q) => platformOf.get(q.key) === 'slack');
      return [...discord.views(d, modelText), ...slack.views(s, modelText)];
    };
    const waitFinal = async (list: readonly Asked[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const done = views(list).filter(isFinal).length;
        if (done === list.length) return true;
        if (Date.now() >= deadline) {
          notes.push(`timed out after ${timeoutMs / 1000} s: ${done}/${list.length} final`);
          return false;
        }
        await sleep(1_000);
      }
    };
    const timedOut = !(await waitFinal(questions, w.timeoutMs));
    await sleep(1_000);
    sampler.sample();
    const endAt = Date.now();
    const roundViews = views(questions);
    const metrics = computeMetrics(roundViews, chutes.requests, endAt);
    for (const platform of ['discord', 'slack'] as const) {
      const mine = views(questions.filter((q) => platformOf.get(q.key) === platform));
      const m = computeMetrics(mine, chutes.requests, endAt);
      const p = (x: { p50: number; p95: number } | undefined) =>
        x ? `${(x.p50 / 1000).toFixed(2)} / ${(x.p95 / 1000).toFixed(2)}` : '–';
      notes.push(
        `${platform === 'discord' ? 'Discord' : 'Slack'} alone: ${m.final}/${m.total} final, ` +
          `event→Chutes p50 / p95 ${p(m.eventToRequest)} s, event→visible ${p(m.eventToVisible)} s`,
      );
    }

    // Round two: a gateway dies; its servers keep asking.
    const identifiesBefore = discord.fake.gatewayStats.identifies;
    const resumesBefore = discord.fake.gatewayStats.resumes;
    const victim = gateways[1]!;
    const before = new Set(discord.fake.connectedShards());
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    let dark: number[] = [];
    const goneBy = Date.now() + 5_000;
    while (Date.now() < goneBy) {
      const now = new Set(discord.fake.connectedShards());
      dark = [...before].filter((s) => !now.has(s));
      if (dark.length >= share) break;
      await sleep(20);
    }
    const darkChannels = guilds
      .filter((g) => dark.includes(discord.fake.shardOf(g.id, M.shards)))
      .filter((_, i) => i % 97 === 0)
      .slice(0, M.darkQuestions)
      .map((g) => g.channels![0]!.id);
    const darkAsked: Asked[] = [];
    const back = new Map<number, number>();
    const darkBegan = Date.now();
    const watchUntil = killedAt + 60_000;
    let next = 0;
    while (Date.now() < watchUntil && (back.size < dark.length || next < darkChannels.length)) {
      const due = darkBegan + (next * M.darkSpreadMs) / darkChannels.length;
      if (next < darkChannels.length && Date.now() >= due) {
        const marker = questionMarker(total + next + 1);
        const channel = darkChannels[next]!;
        const m = discord.fake.sendMessage({
          channelId: channel,
          author: DISCORD.askers[next % DISCORD.askers.length]!,
          content: `${marker}: are you still there?`,
          mentionsBot: true,
        });
        const q = { marker, eventAt: m.createdAt, channel, key: m.id };
        platformOf.set(q.key, 'discord');
        darkAsked.push(q);
        next += 1;
      }
      const now = new Set(discord.fake.connectedShards());
      for (const s of dark) if (!back.has(s) && now.has(s)) back.set(s, Date.now() - killedAt);
      await sleep(20);
    }
    await waitFinal(darkAsked, 60_000);
    const darkViews = views(darkAsked);
    const figures: MultiTenantFigures = {
      shardsUpMs,
      balancedMs,
      heldPerGateway: held,
      darkShards: dark,
      darkMs: dark.map((s) => back.get(s) ?? Number.NaN),
      resumes: discord.fake.gatewayStats.resumes - resumesBefore,
      identifiesAfterKill: discord.fake.gatewayStats.identifies - identifiesBefore,
      darkAnswered: darkViews.filter(isFinal).length,
      darkTwice: darkViews.filter(answeredTwice).length,
      darkTotal: darkAsked.length,
    };
    for (const c of children) {
      if (c !== victim.child && c.errorLines > 0)
        notes.push(
          `${c.label} wrote ${c.errorLines} error lines; last: ${c.tail.at(-1)?.slice(0, 300)}`,
        );
    }
    const d = discord.counts();
    const s = slack.counts();
    const counts: PlatformCounts = {
      posts: d.posts + s.posts,
      edits: d.edits + s.edits,
      rateLimited: d.rateLimited + s.rateLimited,
      detail: [...d.detail.map((x) => `Discord ${x}`), ...s.detail.map((x) => `Slack ${x}`)],
    };
    notes.push(...figureNotes(figures, guilds.length));
    return {
      row: {
        workload: w,
        strategy: 'chutes-bot',
        backend,
        workers: M.workers,
        gateways: M.gateways,
        metrics,
        counts,
        rss: children.map((c) => ({ label: c.label, bytes: c.rssPeak })),
        notes,
        timedOut,
      },
      figures,
    };
  } finally {
    sampler.stop();
    await Promise.all(children.map((c) => c.stop()));
    await discord.close();
    await slack.close();
    await chutes.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      await redis.quit();
    }
    await database?.drop();
  }
}

/** A question answered twice shows the model's text in two separate messages. */
function answeredTwice(view: AnswerView): boolean {
  const finals = view.pages.filter((versions) => versions.at(-1)?.text.trim() === view.modelText);
  return finals.length > 1;
}

const sec = (ms: number | undefined) =>
  ms === undefined || Number.isNaN(ms) ? '–' : (ms / 1000).toFixed(1);

export function figureNotes(f: MultiTenantFigures, servers: number): string[] {
  const dark = f.darkMs.filter((ms) => !Number.isNaN(ms));
  return [
    `shard start-up: ${servers.toLocaleString('en')} servers on ${MULTI_TENANT.shards} shards, two gateways started together: every shard connected ` +
      `${sec(f.shardsUpMs)} s after spawn, each gateway holding its share (${f.heldPerGateway.join(
        ' / ',
      )}) after ${sec(f.balancedMs)} s (identify: max_concurrency 1, one per 5 s, as Discord gives a bot of this size)`,
    `gateway SIGKILLed: its ${f.darkShards.length} shards (${f.darkShards.join(', ')}) dark for ` +
      `${dark.length ? `${sec(percentile(dark, 50))} s median, ${sec(Math.max(...dark))} s longest` : '– (never back)'}` +
      `; ${f.resumes} resumed, ${f.identifiesAfterKill} identified anew`,
    `${f.darkTotal} mentions sent to those servers while dark: ${f.darkAnswered} answered, ${f.darkTwice} answered twice`,
  ];
}
