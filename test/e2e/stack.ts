/**
 * The whole service as it runs in production (a child process started like
 * `npm start`), pointed at a fake Discord and/or a fake Slack and a fake
 * Chutes, with a Postgres database and a Redis prefix of its own.
 */
import { createPostgresBackend, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JobQueue } from '../../src/queue/backend.js';
import { startFakeChutes, type FakeChutes, type FakeChutesOptions } from '../fakes/chutes/index.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import type {
  FakeDiscordOptions,
  FakeUser,
  GuildConfig,
  StoredMessage,
} from '../fakes/discord/types.js';
import { startFakeSlack, type FakeSlack, type FakeSlackOptions } from '../fakes/slack/index.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { connectRedis, deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { viaProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { ServiceProcess, type SpawnOptions } from './service-process.js';

export const BOT = { id: '900000000000000001', username: 'chutes-bot' };
export const APP_ID = '900000000000000002';
export const GUILD = '100000000000000001';
export const ANN: FakeUser = { id: '200000000000000001', username: 'ann', globalName: 'Ann' };
export const BOB: FakeUser = { id: '200000000000000002', username: 'bob', globalName: 'Bob' };
export const CHUTES_KEY = 'cpk_test_key_that_must_never_leak';
export const DISCORD_TOKEN = 'discord.bot.token.never.leaks';

/** Channel ids c(1), c(2), … and a thread in channel 1. */
export const channel = (n: number) => `3000000000000000${String(n).padStart(2, '0')}`;
export const THREAD = '400000000000000001';

/** The words of a slow answer: `count N every MS` in a question asks for N of them, MS apart. */
export const words = (count: number) => Array.from({ length: count }, (_, i) => `word${i} `);

/**
 * The fake Chutes' answer to a question saying `count N every MS` (N words, MS apart; one word
 * at once without it), every try of it alike: slow answers to stop, regenerate or interrupt.
 */
export const countedWords: NonNullable<FakeChutesOptions['defaultChat']> = (body) => {
  const last = String(body.messages.at(-1)?.content);
  const [, count, delay] = /count (\d+) every (\d+)/.exec(last) ?? [];
  return { chunks: words(Number(count ?? 1)), chunkDelayMs: Number(delay ?? 0) };
};

/** Slack fixtures: one workspace, its people, channels, a DM with Ann, a private channel and a group DM. */
export const SLACK = {
  team: 'T0000000001',
  bot: 'U0BOT00001',
  botToken: 'xoxb-slack-bot-token-never-leaks',
  signingSecret: 'slack-signing-secret-never-leaks',
  ann: { id: 'U0ANN00001', name: 'ann', displayName: 'Ann' },
  bob: { id: 'U0BOB00001', name: 'bob', displayName: 'Bob' },
  boss: { id: 'U0BOSS0001', name: 'boss', displayName: 'Boss', isAdmin: true },
  channel: (n: number) => `C00000000${String(n).padStart(2, '0')}`,
  dm: 'D0000000001',
  /** A private channel and a group DM with Ann and Bob, the bot in both. */
  privateChannel: 'G0000000001',
  groupDm: 'C0MPIM0001',
} as const;

export interface StackOptions {
  readonly env?: Record<string, string>;
  /** Options of the fake Discord; `false` runs the service without Discord. */
  readonly discord?: Partial<FakeDiscordOptions> | false;
  /** Options of a fake Slack, which the service is then configured for. */
  readonly slack?: Partial<FakeSlackOptions>;
  /** Options of the fake Chutes (its key is the stack's; its models default to model-a and model-b). */
  readonly chutes?: Omit<FakeChutesOptions, 'apiKey'>;
  /**
   * Where the service keeps its data: `redis` (DATABASE_URL and REDIS_URL,
   * the default), `postgres` (DATABASE_URL only) or `embedded` (neither: its
   * own Postgres under a temporary DATA_DIR).
   */
  readonly topology?: 'redis' | 'postgres' | 'embedded';
  /**
   * false: the service's own defaults for retries, locks and shutdown, as
   * users run it (the tests otherwise shorten them to run faster).
   */
  readonly tuned?: boolean;
  /** TCP proxies the service reaches its stores through, for a test to cut. */
  readonly proxies?: { readonly redis?: TcpProxy; readonly postgres?: TcpProxy };
  /** How every service process of the stack is started (e.g. another copy of the build). */
  readonly spawn?: SpawnOptions;
}

export interface Stack {
  /** The fake Discord (throws when this stack runs without one). */
  readonly discord: FakeDiscord;
  /** The fake Slack (throws when this stack runs without one). */
  readonly slack: FakeSlack;
  readonly chutes: FakeChutes;
  /** The service's database (throws for the embedded topology). */
  readonly database: TestDatabase;
  readonly redis: Redis;
  readonly prefix: string;
  readonly env: Record<string, string>;
  /** The chat queue, wherever it lives (throws for the embedded topology). */
  readonly chatQueue: JobQueue;
  /** A queue of the service by name (`chat`, `commands`), opened from the test on first use. */
  queue(name: string): JobQueue;
  /** The service's DATA_DIR: the embedded Postgres, the outbox's jobs on disk. */
  readonly dataDir: string;
  service: ServiceProcess;
  /**
   * Starts another service process on the same stores (after a crash, or as a
   * second worker). Slack's events go to the newest process with a gateway.
   */
  startService(extraEnv?: Record<string, string>, options?: SpawnOptions): Promise<ServiceProcess>;
  /**
   * Starts another service process without waiting for it to be up (it may
   * wait for a store): resolves once it serves /healthz.
   */
  spawnService(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  /** Every service process started so far that has not exited, oldest first. */
  runningServices(): ServiceProcess[];
  botMessages(channelId: string): StoredMessage[];
  /** Every 429 either fake platform answered. */
  rateLimited(): readonly unknown[];
  stop(): Promise<void>;
}

/**
 * The test server: twelve channels and a thread; `botPermissions` replaces
 * the bot's permissions in the channels it names.
 */
export function testGuild(botPermissions: Record<string, string> = {}): GuildConfig {
  return {
    id: GUILD,
    name: 'Test Server',
    channels: Array.from({ length: 12 }, (_, i) => ({
      id: channel(i + 1),
      name: `c${i + 1}`,
      ...(botPermissions[channel(i + 1)] ? { botPermissions: botPermissions[channel(i + 1)] } : {}),
    })),
    threads: [{ id: THREAD, name: 'a thread', parentId: channel(1) }],
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const discord =
    options.discord === false
      ? undefined
      : await startFakeDiscord({
          token: DISCORD_TOKEN,
          applicationId: APP_ID,
          botUser: BOT,
          guilds: [testGuild()],
          ...options.discord,
        });
  const slack = options.slack
    ? await startFakeSlack({
        botToken: SLACK.botToken,
        signingSecret: SLACK.signingSecret,
        teamId: SLACK.team,
        botUserId: SLACK.bot,
        users: [SLACK.ann, SLACK.bob, SLACK.boss],
        channels: [
          ...Array.from({ length: 16 }, (_, i) => ({
            id: SLACK.channel(i + 1),
            name: `general-${i + 1}`,
          })),
          { id: SLACK.dm, name: 'ann-dm', user: SLACK.ann.id },
          { id: SLACK.privateChannel, name: 'private-1', type: 'group' as const },
          { id: SLACK.groupDm, name: 'mpdm-ann--bob-1', type: 'mpim' as const },
        ],
        ...options.slack,
      })
    : undefined;
  const chutes = await startFakeChutes({
    ...options.chutes,
    apiKey: CHUTES_KEY,
    models: [
      ...(options.chutes?.models ?? ['model-a', 'model-b']),
      ...Object.keys(options.chutes?.reasoningModels ?? {}),
    ],
  });
  const topology = options.topology ?? 'redis';
  // The service applies its own migrations at start.
  const database =
    topology === 'embedded' ? undefined : await createTestDatabase({ migrate: false });
  // Each stack's own DATA_DIR (the embedded Postgres, the gateways' outbox on disk), under
  // a directory the unprivileged Postgres user can traverse (tests may run as root).
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chutes-bot-data-'));
  await chmod(dataDir, 0o755);
  const redis = connectRedis();
  const prefix = uniquePrefix('e2e');
  const env: Record<string, string> = {
    CHUTES_API_KEY: CHUTES_KEY,
    CHUTES_BASE_URL: chutes.baseUrl,
    CHUTES_IMAGE_URL: chutes.imageUrl,
    DEFAULT_MODEL: 'model-a',
    DEFAULT_IMAGE_MODEL: 'image-model',
    ...(discord
      ? { DISCORD_TOKEN, DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_URL: discord.apiUrl }
      : {}),
    ...(slack
      ? {
          SLACK_BOT_TOKEN: SLACK.botToken,
          SLACK_SIGNING_SECRET: SLACK.signingSecret,
          SLACK_API_URL: slack.apiUrl.replace(/\/$/, ''),
        }
      : {}),
    ...(database ? { DATABASE_URL: throughProxy(database.url, options.proxies?.postgres) } : {}),
    ...(topology === 'redis' ? { REDIS_URL: throughProxy(REDIS_URL, options.proxies?.redis) } : {}),
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    PORT: '0',
    LOG_LEVEL: 'info',
    ...(options.tuned === false
      ? {}
      : {
          JOB_ATTEMPTS: '2',
          JOB_LOCK_MS: '3000',
          JOB_STALLED_INTERVAL_MS: '1000',
          SHUTDOWN_GRACE_MS: '3000',
          // A killed gateway's shards move within about 2.5 s.
          SHARD_LEASE_MS: '2000',
          // The scenarios ask many questions as one person within a minute:
          // not a flood. test/faults/bad-input.test.ts checks the limits.
          FLOOD_USER_PER_MINUTE: '0',
          FLOOD_CHANNEL_PER_MINUTE: '0',
        }),
    ...options.env,
  };
  // Opened on first use: on Postgres, the service creates the queue's schema when it starts.
  const queues = new Map<string, JobQueue>();
  const openQueue = (name: string): JobQueue => {
    if (!database) throw new Error('the embedded topology has no queue reachable from the test');
    let queue = queues.get(name);
    if (!queue) {
      queue =
        topology === 'redis'
          ? new Queue(name, { connection: redis, prefix })
          : new Queue(
              name,
              { connection: { connectionString: database.url } },
              createPostgresBackend,
            );
      queues.set(name, queue);
    }
    return queue;
  };
  const running: ServiceProcess[] = [];
  // Every secret the service is given or handed during the run: none may reach its output.
  const secrets = new Set<string>([CHUTES_KEY, SLACK.signingSecret]);
  if (discord) {
    secrets.add(DISCORD_TOKEN);
    const send = discord.sendInteraction.bind(discord);
    Object.assign(discord, {
      sendInteraction: (input: Parameters<FakeDiscord['sendInteraction']>[0]) => {
        const sent = send(input);
        secrets.add(sent.token);
        return sent;
      },
    });
  }
  if (slack) {
    secrets.add(SLACK.botToken);
    const run = slack.runCommand.bind(slack);
    Object.assign(slack, {
      runCommand: (input: Parameters<FakeSlack['runCommand']>[0]) => {
        const sent = run(input);
        // The response_url is a bearer credential for the command's answers.
        secrets.add(sent.responseUrl);
        return sent;
      },
    });
  }
  for (const value of Object.values(options.env ?? {})) {
    if (/^(xoxb-|xapp-|cpk_)/.test(value)) secrets.add(value);
  }
  const startService = async (
    extraEnv: Record<string, string> = {},
    spawnOptions?: SpawnOptions,
  ) => {
    const processEnv = { ...env, ...extraEnv };
    const service = await ServiceProcess.start(processEnv, undefined, {
      ...options.spawn,
      ...spawnOptions,
    });
    running.push(service);
    if (slack && processEnv.ROLE !== 'worker')
      slack.setEventsUrl(`http://127.0.0.1:${service.port}/slack/events`);
    return service;
  };
  const spawnService = async (extraEnv: Record<string, string> = {}) => {
    const service = await ServiceProcess.spawn({ ...env, ...extraEnv }, undefined, options.spawn);
    running.push(service);
    return service;
  };
  const stack: Stack = {
    get discord(): FakeDiscord {
      if (!discord) throw new Error('this stack runs without Discord');
      return discord;
    },
    get slack(): FakeSlack {
      if (!slack) throw new Error('this stack runs without Slack');
      return slack;
    },
    chutes,
    get database(): TestDatabase {
      if (!database) throw new Error('the embedded topology has no test database');
      return database;
    },
    redis,
    prefix,
    env,
    get chatQueue(): JobQueue {
      return openQueue('chat');
    },
    queue: openQueue,
    dataDir,
    service: await startService(),
    startService,
    spawnService,
    runningServices: () => running.filter((s) => s.running),
    botMessages: (channelId) =>
      stack.discord.messages(channelId).filter((m) => m.author.id === BOT.id),
    rateLimited: () => [...(discord?.rateLimited ?? []), ...(slack?.rateLimited ?? [])],
    async stop() {
      await Promise.all(running.map((s) => s.stop()));
      const leaks = running.flatMap((service, index) =>
        [...secrets]
          .filter((secret) => allOutput(service).includes(secret))
          .map((secret) => `process ${index} wrote ${secret.slice(0, 12)}…`),
      );
      await Promise.all([...queues.values()].map((q) => q.close()));
      await deletePrefix(redis, prefix);
      await redis.quit();
      await discord?.close();
      await slack?.close();
      await chutes.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
      // Checked for every scenario of every e2e file: secrets never reach the logs.
      if (leaks.length > 0) throw new Error(`secrets in the service's output: ${leaks.join('; ')}`);
    },
  };
  return stack;
}

function throughProxy(url: string, proxy: TcpProxy | undefined): string {
  return proxy ? viaProxy(url, proxy) : url;
}

/** Every log line any test service wrote, as text, for leak checks. */
export function allOutput(service: ServiceProcess): string {
  return service.output.join('\n');
}

/**
 * Asks for a slow answer (`count` chunks, `chunkDelayMs` apart; a retry
 * streams fast) in a channel and waits until the reply shows chunk `until`.
 * Returns the reply and the full text it must end with.
 */
export async function slowAnswer(
  stack: Stack,
  channelId: string,
  options: { count: number; chunkDelayMs: number; until: number },
): Promise<{ reply: StoredMessage; full: string }> {
  const chunks = Array.from({ length: options.count }, (_, i) => `part${i} `);
  stack.chutes.script({ chunks, chunkDelayMs: options.chunkDelayMs });
  stack.chutes.script({ chunks, chunkDelayMs: 20 });
  stack.discord.sendMessage({ channelId, author: ANN, content: 'count slowly', mentionsBot: true });
  const reply = await stack.discord.waitFor(
    () => {
      const mine = stack.botMessages(channelId)[0];
      return mine?.content.includes(`part${options.until} `) ? mine : undefined;
    },
    options.count * options.chunkDelayMs,
    'a partly streamed answer',
  );
  return { reply, full: chunks.join('') };
}

/** Waits until the first reply in a channel shows exactly `text`; returns it. */
export function replyShowing(stack: Stack, channelId: string, text: string, timeoutMs = 20_000) {
  return stack.discord.waitFor(
    () => {
      const mine = stack.botMessages(channelId)[0];
      return mine?.content === text ? mine : undefined;
    },
    timeoutMs,
    'the exact answer',
  );
}

/**
 * Waits until the first reply in a channel is edited after `since` to show
 * something other than `frozen` (what it showed when it stopped); returns the edit.
 */
export function replyMoving(
  stack: Stack,
  channelId: string,
  since: number,
  frozen: string,
  timeoutMs: number,
) {
  return stack.discord.waitFor(
    () => stack.botMessages(channelId)[0]!.edits.find((e) => e.at > since && e.content !== frozen),
    timeoutMs,
    'the reply moving again',
  );
}

/** Discord member permission bitfields: Manage Server (0x20), or only view and send. */
export const PERMISSIONS = {
  admin: String(0x20 | 0x400 | 0x800),
  member: String(0x400 | 0x800),
} as const;

/** Waits until an interaction's answer (`@original`) has content; returns its state. */
export function interactionAnswer(stack: Stack, interactionId: string, timeoutMs = 15_000) {
  return stack.discord.waitFor(
    () => {
      const state = stack.discord.interactionState(interactionId);
      return state?.original?.content ? state : undefined;
    },
    timeoutMs,
    `the answer to interaction ${interactionId}`,
  );
}
