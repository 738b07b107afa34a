/**
 * Wires the roles named by ROLE from a Config: the gateway (platform
 * connections → jobs) and the worker (jobs → Chutes → platform REST).
 * Each piece is closed by whoever opened it, in reverse order.
 */
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Server } from 'node:http';
import { ChutesChatClient } from './chutes/chat-client.js';
import type { Config } from './config.js';
import { createDb, createPool, migrateDb } from './db/client.js';
import { PgConversationStore } from './db/conversation-store.js';
import { PgSettingsStore } from './db/settings-store.js';
import { startHttpServer } from './http.js';
import type { Logger } from './log.js';
import { startDiscordGateway } from './platforms/discord/gateway.js';
import { createDiscordRest, DiscordSurface } from './platforms/discord/surface.js';
import type { ChatSurface } from './core/surface.js';
import { ConversationOrder } from './queue/conversation-order.js';
import { QUEUES } from './queue/jobs.js';
import { JobProducer } from './queue/producer.js';
import { LimiterBudget } from './queue/rate-budget.js';
import { startChatWorker } from './queue/worker.js';

export interface Service {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startService(config: Config, log: Logger): Promise<Service> {
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        log.warn({ err: error }, 'error while shutting down');
      }
    }
  };

  try {
    const pool = createPool(config.databaseUrl);
    closers.push(() => pool.end());
    const db = createDb(pool);
    await migrateDb(pool, db);
    log.info('database migrations applied');

    // BullMQ's blocking commands need an ioredis that retries forever.
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    closers.push(() => redis.quit());
    const chatQueue = new Queue(QUEUES.chat, { connection: redis, prefix: config.queuePrefix });
    closers.push(() => chatQueue.close());
    const order = new ConversationOrder(redis, config.queuePrefix);

    const surfaces = new Map<string, ChatSurface>();
    if (config.discord) {
      surfaces.set(
        'discord',
        new DiscordSurface(createDiscordRest(config.discord.token, config.discord.apiUrl)),
      );
    }
    if (config.slack)
      log.warn('SLACK_* is set, but the Slack adapter is not part of this version yet');

    let worker: Worker | undefined;
    if (config.role !== 'gateway') {
      const model = new ChutesChatClient({
        baseUrl: config.chutes.baseUrl,
        apiKey: config.chutes.apiKey,
        connectTimeoutMs: config.chutes.connectTimeoutMs,
        idleTimeoutMs: config.chutes.idleTimeoutMs,
      });
      worker = startChatWorker({
        connection: redis,
        prefix: config.queuePrefix,
        queue: chatQueue,
        order,
        log,
        concurrency: config.worker.concurrency,
        lockMs: config.worker.lockMs,
        stalledIntervalMs: config.worker.stalledIntervalMs,
        deps: {
          surface: (platform) => {
            const surface = surfaces.get(platform);
            if (!surface)
              throw new Error(
                `no surface for platform ${platform}: is it configured on this worker?`,
              );
            return surface;
          },
          budget: LimiterBudget.redis(redis, config.queuePrefix),
          model,
          store: new PgConversationStore(db),
          settings: new PgSettingsStore(db, config.defaults),
          history: config.history,
          log,
        },
      });
      const started = worker;
      closers.push(() => closeWorker(started, config.worker.shutdownGraceMs, log));
      log.info({ concurrency: config.worker.concurrency }, 'worker started');
    }

    if (config.role !== 'worker') {
      const producer = new JobProducer(chatQueue, order, config.worker.attempts);
      if (config.discord) {
        const client = await startDiscordGateway({
          token: config.discord.token,
          apiUrl: config.discord.apiUrl,
          producer,
          log,
        });
        closers.push(() => client.destroy());
      } else {
        log.warn('no platform configured: set DISCORD_TOKEN and DISCORD_APPLICATION_ID');
      }
    }

    const server: Server = await startHttpServer(
      config.port,
      {
        postgres: async () => void (await pool.query('SELECT 1')),
        redis: async () => void (await redis.ping()),
      },
      { role: config.role },
    );
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.info({ port, role: config.role }, 'chutes-bot is up');
    return { port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Lets running answers finish, up to the grace period, then stops for good. */
async function closeWorker(worker: Worker, graceMs: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const graceful = worker.close();
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), graceMs);
  });
  if ((await Promise.race([graceful, expired])) === 'expired') {
    // Unfinished jobs are left locked; their lock expires and another worker continues them.
    log.warn({ graceMs }, 'answers still running at shutdown; leaving them to other workers');
    await worker.close(true);
  }
  clearTimeout(timer);
}
