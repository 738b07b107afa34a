/**
 * Wires the roles named by ROLE from a Config: the gateway (platform
 * connections → jobs) and the worker (jobs → Chutes → platform REST).
 * Each piece is closed by whoever opened it, in reverse order.
 */
import type { RequestListener, Server } from 'node:http';
import { ChutesChatClient } from './chutes/chat-client.js';
import { ChutesImageClient } from './chutes/image-client.js';
import { CachedModelCatalog } from './chutes/model-catalog.js';
import type { Config } from './config.js';
import {
  observeChatModel,
  observeEvents,
  observeImageModel,
  observeStore,
} from './core/metrics.js';
import { FloodGuard } from './core/flood.js';
import { Quotas } from './core/quota.js';
import { createDb, createPool, migrateDb } from './db/client.js';
import { PgConversationStore } from './db/conversation-store.js';
import { PgSettingsStore } from './db/settings-store.js';
import { PgUsageStore } from './db/usage-store.js';
import { startHttpServer } from './http.js';
import type { Logger } from './log.js';
import { createPromMetrics, METRICS_PATH } from './metrics.js';
import { createDashboard, DASHBOARD_PATH } from './dashboard.js';
import { PLATFORMS } from './platforms/registry.js';
import { openEmbeddedPostgres } from './db/embedded.js';
import { openPostgresBackend, openRedisBackend, type JobWorker } from './queue/backend.js';
import { QUEUES } from './queue/jobs.js';
import { Outbox } from './queue/outbox.js';
import { JobProducer } from './queue/producer.js';
import { LearnedRates } from './queue/learned-rates.js';
import {
  startChatWorker,
  startCommandWorker,
  STOP_REASONS,
  Turns,
  type WorkerOptions,
} from './queue/worker.js';

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

  // This process's own registry, served on GET /metrics.
  const { metrics, handler: metricsHandler } = createPromMetrics();
  try {
    // Neither URL set: the service runs its own Postgres under DATA_DIR.
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await openEmbeddedPostgres({ dataDir: config.dataDir, log });
      closers.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const pool = createPool(databaseUrl, (error) =>
      log.warn({ err: error }, 'idle Postgres connection lost'),
    );
    closers.push(() => pool.end());
    const db = createDb(pool);
    await migrateDb(pool, db);
    log.info('database migrations applied');

    const backend = config.redisUrl
      ? await openRedisBackend(config.redisUrl, config.queuePrefix)
      : await openPostgresBackend(databaseUrl, pool, (error) =>
          log.warn({ err: error }, 'idle Postgres connection of the queue lost'),
        );
    closers.push(() => backend.close());
    log.info({ queue: backend.kind }, 'queue backend ready');
    const queues = { chat: backend.queue(QUEUES.chat), commands: backend.queue(QUEUES.commands) };
    closers.push(() => Promise.all([queues.chat.close(), queues.commands.close()]));
    const order = backend.order;
    const chutes = new ChutesChatClient({
      baseUrl: config.chutes.baseUrl,
      apiKey: config.chutes.apiKey,
      connectTimeoutMs: config.chutes.connectTimeoutMs,
      idleTimeoutMs: config.chutes.idleTimeoutMs,
    });
    const models = new CachedModelCatalog(chutes);

    const learned = new LearnedRates(backend.learnedRules, (error) =>
      log.warn({ err: error }, 'could not share learned rate limits'),
    );
    await learned.start(PLATFORMS.map((entry) => entry.name));
    closers.push(async () => {
      learned.close();
      await learned.flush();
    });
    const platforms = PLATFORMS.map((entry) =>
      entry.create(config, { log, learning: learned.for(entry.name), metrics }),
    ).filter((platform) => platform !== undefined);
    const surfaces = new Map(platforms.map((p) => [p.name, p.surface]));
    const budget = backend.budget;
    const surface = (platform: string) => {
      const found = surfaces.get(platform);
      if (!found)
        throw new Error(`no surface for platform ${platform}: is it configured on this worker?`);
      return found;
    };

    if (config.role !== 'gateway') {
      const conversations = new PgConversationStore(db);
      const observedStore = observeStore(conversations, metrics);
      const usage = new PgUsageStore(db);
      const quotas = new Quotas(usage, metrics);
      const settings = new PgSettingsStore(db, config.defaults);
      const turns = new Turns(order, [queues.chat, queues.commands], config.worker.lockMs, log);
      const workerOptions: WorkerOptions = {
        backend,
        log,
        concurrency: config.worker.concurrency,
        lockMs: config.worker.lockMs,
        stalledIntervalMs: config.worker.stalledIntervalMs,
        maxStalls: config.worker.maxStalls,
        metrics,
      };
      const workers: JobWorker[] = [
        startChatWorker({
          ...workerOptions,
          turns,
          deps: {
            surface,
            budget,
            model: observeChatModel(chutes, metrics),
            store: observedStore,
            settings,
            quotas,
            history: config.history,
            log,
          },
        }),
        startCommandWorker({
          ...workerOptions,
          turns,
          imagine: {
            interactions: surface,
            images: observeImageModel(
              new ChutesImageClient({
                imageUrl: config.chutes.imageUrl,
                apiKey: config.chutes.apiKey,
              }),
              metrics,
            ),
            settings,
            usage: observedStore,
            quotas,
            log,
          },
          commands: {
            interactions: surface,
            settings,
            conversations,
            usage,
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

    const routes: Record<string, RequestListener> = { [METRICS_PATH]: metricsHandler };
    if (config.adminPassword) {
      routes[`${DASHBOARD_PATH}/*`] = createDashboard(
        [queues.chat, queues.commands],
        config.adminPassword,
      );
    }
    // Jobs the gateway accepted while the queue was away, until it is back.
    const outbox =
      config.role === 'worker'
        ? undefined
        : new Outbox(
            observeEvents(new JobProducer(queues, order, config.worker.attempts), metrics),
            log,
          );
    if (outbox) {
      closers.push(async () => outbox.close());
      const producer = new FloodGuard(outbox, budget, config.flood, metrics, log);
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
        // Redis, or the queue's own connections to the Postgres above.
        [backend.kind === 'redis' ? 'redis' : 'queue']: () => backend.ping(),
        // Jobs accepted while the queue was away, not queued yet.
        ...(outbox ? { outbox: () => outbox.check() } : {}),
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

/** How long handed-back jobs get to reach the queue once their attempts are stopped. */
export const HAND_BACK_MS = 5_000;

/**
 * Stops taking jobs and lets running ones finish, up to the grace period;
 * the rest are stopped (their model calls aborted) and handed back to the
 * queue, where another worker continues them in the same reply at once.
 */
async function closeWorker(worker: JobWorker, graceMs: number, log: Logger): Promise<void> {
  const graceful = worker.close();
  if ((await within(graceful, graceMs)) === 'expired') {
    log.warn({ graceMs, queue: worker.name }, 'jobs still running at shutdown; handing them back');
    worker.cancelAllJobs(STOP_REASONS.shutdown);
    // A job that cannot be handed back keeps its lock until it expires; another worker continues it then.
    if ((await within(graceful, HAND_BACK_MS)) === 'expired') await worker.close(true);
  }
}

async function within(work: Promise<unknown>, ms: number): Promise<'done' | 'expired'> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), ms);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
