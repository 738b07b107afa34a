/**
 * The whole service as it runs in production (a child process started like
 * `npm start`), pointed at a fake Discord and a fake Chutes, with a Postgres
 * database and a Redis prefix of its own.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { startFakeChutes, type FakeChutes } from '../fakes/chutes/index.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import type { FakeDiscordOptions, FakeUser, StoredMessage } from '../fakes/discord/types.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { connectRedis, deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { ServiceProcess } from './service-process.js';

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

export interface Stack {
  readonly discord: FakeDiscord;
  readonly chutes: FakeChutes;
  readonly database: TestDatabase;
  readonly redis: Redis;
  readonly prefix: string;
  readonly env: Record<string, string>;
  readonly chatQueue: Queue;
  service: ServiceProcess;
  /** Starts another service process on the same stores (after a crash, or as a second worker). */
  startService(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  botMessages(channelId: string): StoredMessage[];
  stop(): Promise<void>;
}

export async function startStack(
  options: { env?: Record<string, string>; discord?: Partial<FakeDiscordOptions> } = {},
): Promise<Stack> {
  const discord = await startFakeDiscord({
    token: DISCORD_TOKEN,
    applicationId: APP_ID,
    botUser: BOT,
    guilds: [
      {
        id: GUILD,
        name: 'Test Server',
        channels: Array.from({ length: 12 }, (_, i) => ({ id: channel(i + 1), name: `c${i + 1}` })),
        threads: [{ id: THREAD, name: 'a thread', parentId: channel(1) }],
      },
    ],
    ...options.discord,
  });
  const chutes = await startFakeChutes({ apiKey: CHUTES_KEY, models: ['model-a', 'model-b'] });
  // The service applies its own migrations at start.
  const database = await createTestDatabase({ migrate: false });
  const redis = connectRedis();
  const prefix = uniquePrefix('e2e');
  const env: Record<string, string> = {
    CHUTES_API_KEY: CHUTES_KEY,
    CHUTES_BASE_URL: chutes.baseUrl,
    CHUTES_IMAGE_URL: chutes.imageUrl,
    DEFAULT_MODEL: 'model-a',
    DEFAULT_IMAGE_MODEL: 'image-model',
    DISCORD_TOKEN,
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_API_URL: discord.apiUrl,
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    PORT: '0',
    LOG_LEVEL: 'info',
    JOB_ATTEMPTS: '2',
    JOB_LOCK_MS: '3000',
    JOB_STALLED_INTERVAL_MS: '1000',
    SHUTDOWN_GRACE_MS: '3000',
    ...options.env,
  };
  const chatQueue = new Queue('chat', { connection: redis, prefix });
  const running: ServiceProcess[] = [];
  const startService = async (extraEnv: Record<string, string> = {}) => {
    const service = await ServiceProcess.start({ ...env, ...extraEnv });
    running.push(service);
    return service;
  };
  const stack: Stack = {
    discord,
    chutes,
    database,
    redis,
    prefix,
    env,
    chatQueue,
    service: await startService(),
    startService,
    botMessages: (channelId) => discord.messages(channelId).filter((m) => m.author.id === BOT.id),
    async stop() {
      await Promise.all(running.map((s) => s.stop()));
      await chatQueue.close();
      await deletePrefix(redis, prefix);
      await redis.quit();
      await discord.close();
      await chutes.close();
      await database.drop();
    },
  };
  return stack;
}

/** Every log line any test service wrote, as text, for leak checks. */
export function allOutput(service: ServiceProcess): string {
  return service.output.join('\n');
}
