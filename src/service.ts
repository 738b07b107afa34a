/**
 * Wires the roles named by ROLE from a Config: the gateway (platform
 * connections → jobs) and the worker (jobs → Chutes → platform REST).
 * Each piece is closed by whoever opened it, in reverse order.
 */
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { RequestListener, Server } from 'node:http';
import { ChutesChatClient } from './chutes/chat-client.js';
import { ChutesImageClient } from './chutes/image-client.js';
import { CachedModelCatalog } from './chutes/model-catalog.js';
import type { Config } from './config.js';
import { createDb, createPool, migrateDb } from './db/client.js';
import { PgConversationStore } from './db/conversation-store.js';
import { PgSettingsStore } from './db/settings-store.js';
import { startHttpServer } from './http.js';
import type { Logger } from './log.js';
import { PLATFORMS } from './platforms/registry.js';
import { ConversationOrder } from './queue/conversation-order.js';
import { QUEUES } from './queue/jobs.js';
import { JobProducer } from './queue/producer.js';
import { LearnedRates } from './queue/learned-rates.js';
import { RedisBudget } from './queue/rate-budget.js';
import { startChatWorker, startCommandWorker, Turns, type WorkerOptions } from './queue/worker.js';

export interface Service {
  readonly port: number;
  stop(): Promise<void>;
}

export async function startService(config: Config, log: Logger): Promise<Service> {
  const closers: (() => Promise<unknown>)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const close of [...closers].reverse()) {
      try {
        await close();
      } catch (error) {
        log.warn({ err: error }, 'error while shutting down');
      }
    }
  };

  try {
    const pool = createPool(config.databaseUrl, (error) =>
      log.warn({ err: error }, 'idle Postgres connection lost'),
    );
    closers.push(() => pool.end());
    const db = createDb(pool);
    await migrateDb(pool, db);
    log.info('database migrations applied');

    // Producers, turns and the budget fail fast while Redis is away, so the
    // gateway can tell the user; only the workers' blocking connection waits.
    const redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 2,
    });
    closers.push(() => redis.quit());
    await redis.connect();
    const workerRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    closers.push(() => workerRedis.quit());
    const queues = {
      chat: new Queue(QUEUES.chat, { connection: redis, prefix: config.queuePrefix }),
      commands: new Queue(QUEUES.commands, { connection: redis, prefix: config.queuePrefix }),
    };
    closers.push(() => Promise.all([queues.chat.close(), queues.commands.close()]));
    const order = new ConversationOrder(redis, config.queuePrefix);
    const chutes = new ChutesChatClient({
      baseUrl: config.chutes.baseUrl,
      apiKey: config.chutes.apiKey,
      connectTimeoutMs: config.chutes.connectTimeoutMs,
      idleTimeoutMs: config.chutes.idleTimeoutMs,
    });
    const models = new CachedModelCatalog(chutes);

    const learned = new LearnedRates(redis, config.queuePrefix, (error) =>
      log.warn({ err: error }, 'could not share learned rate limits'),
    );
    await learned.start(PLATFORMS.map((entry) => entry.name));
    closers.push(async () => learned.close());
    const platforms = PLATFORMS.map((entry) =>
      entry.create(config, { log, learning: learned.for(entry.name) }),
    ).filter((platform) => platform !== undefined);
    const surfaces = new Map(platforms.map((p) => [p.name, p.surface]));
    const budget = new RedisBudget(redis, config.queuePrefix);
    const surface = (platform: string) => {
      const found = surfaces.get(platform);
      if (!found)
        throw new Error(`no surface for platform ${platform}: is it configured on this worker?`);
      return found;
    };

    if (config.role !== 'gateway') {
      const conversations = new PgConversationStore(db);
      const settings = new PgSettingsStore(db, config.defaults);
      const turns = new Turns(order, [queues.chat, queues.commands], config.worker.lockMs, log);
      const workerOptions: WorkerOptions = {
        connection: workerRedis,
        prefix: config.queuePrefix,
        log,
        concurrency: config.worker.concurrency,
        lockMs: config.worker.lockMs,
        stalledIntervalMs: config.worker.stalledIntervalMs,
        maxStalls: config.worker.maxStalls,
      };
      const workers: Worker[] = [
        startChatWorker({
          ...workerOptions,
          turns,
          deps: {
            surface,
            budget,
            model: chutes,
            store: conversations,
            settings,
            history: config.history,
            log,
          },
        }),
        startCommandWorker({
          ...workerOptions,
          turns,
          imagine: {
            interactions: surface,
            images: new ChutesImageClient({
              imageUrl: config.chutes.imageUrl,
              apiKey: config.chutes.apiKey,
            }),
            settings,
            usage: conversations,
            log,
          },
          commands: {
            interactions: surface,
            settings,
            conversations,
            models,
            defaults: config.defaults,
            log,
          },
        }),
      ];
      closers.push(() =>
        Promise.all(workers.map((w) => closeWorker(w, config.worker.shutdownGraceMs, log))),
      );
      log.info({ concurrency: config.worker.concurrency }, 'workers started');
    }

    const routes: Record<string, RequestListener> = {};
    if (config.role !== 'worker') {
      const producer = new JobProducer(queues, order, config.worker.attempts);
      for (const platform of platforms) {
        const gateway = await platform.startGateway({ producer, models, log, budget });
        closers.push(() => gateway.close());
        Object.assign(routes, gateway.routes);
      }
    }

    const server: Server = await startHttpServer(
      config.port,
      {
        postgres: async () => void (await pool.query('SELECT 1')),
        redis: async () => void (await redis.ping()),
      },
      { role: config.role },
      routes,
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

/** Lets running jobs finish, up to the grace period, then stops for good. */
async function closeWorker(worker: Worker, graceMs: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const graceful = worker.close();
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), graceMs);
  });
  if ((await Promise.race([graceful, expired])) === 'expired') {
    // Unfinished jobs are left locked; their lock expires and another worker continues them.
    log.warn(
      { graceMs, queue: worker.name },
      'jobs still running at shutdown; leaving them to other workers',
    );
    await worker.close(true);
  }
  clearTimeout(timer);
}
