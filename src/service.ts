/**
 * Wires the roles named by ROLE from a Config: the gateway (platform
 * connections → jobs) and the worker (jobs → Chutes → platform REST).
 * Each piece is closed by whoever opened it, in reverse order.
 */
import type { RequestListener, Server } from 'node:http';
import path from 'node:path';
import { tokenCounter } from './core/token-count.js';
import { ChutesChatClient } from './chutes/chat-client.js';
import { ChutesImageClient } from './chutes/image-client.js';
import { checkChutesKey } from './chutes/key-check.js';
import { CachedModelCatalog } from './chutes/model-catalog.js';
import { PaymentNotices } from './core/payment-notice.js';
import type { Config } from './config.js';
import {
  observeChatModel,
  observeEvents,
  observeImageModel,
  observeStore,
} from './core/metrics.js';
import { FloodGuard } from './core/flood.js';
import { InOrder } from './core/in-order.js';
import { Quotas } from './core/quota.js';
import { createDb, createPool, endPool, migrateDb, probePostgres } from './db/client.js';
import { PgConversationStore } from './db/conversation-store.js';
import { PgSettingsStore } from './db/settings-store.js';
import { PgUsageStore } from './db/usage-store.js';
import { startHttpServer, type HealthCheck } from './http.js';
import type { Logger } from './log.js';
import { createPromMetrics, METRICS_PATH } from './metrics.js';
import { loadPlatforms, PLATFORM_NAMES } from './platforms/registry.js';
import { openEmbeddedPostgres } from './db/embedded.js';
import {
  openPostgresBackend,
  openRedisBackend,
  type JobWorker,
  type WaitFor,
} from './queue/backend.js';
import { StopWatch } from './core/controls/stop-watch.js';
import { PgStopStore } from './db/stop-store.js';
import { PgFeedbackStore } from './db/feedback-store.js';
import { answerPlaces } from './queue/answer-places.js';
import { QUEUES } from './queue/jobs.js';
import { Outbox, OUTBOX_LIMIT, type OutboxEntry } from './queue/outbox.js';
import { OutboxJournal } from './queue/outbox-journal.js';
import { JobProducer } from './queue/producer.js';
import { LearnedRates } from './queue/learned-rates.js';
import { OutageLog } from './outage-log.js';
import { StoreWaits } from './store-waits.js';
import { startupSummary } from './summary.js';
import { STOP_REASONS } from './queue/attempts.js';
import { Turns } from './queue/turns.js';
import { startChatWorker, startCommandWorker, type WorkerOptions } from './queue/worker.js';

export interface Service {
  readonly port: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Aborts start-up (a stop signal while it waits for a store): what was opened is closed. */
  readonly signal?: AbortSignal;
  /**
   * Called when the service cannot go on (the embedded Postgres it joined
   * stopped and could not be taken over), with the sentence saying so: the
   * caller stops the service and exits non-zero.
   */
  readonly onFatal?: (error: Error) => void;
}

export async function startService(
  config: Config,
  log: Logger,
  options: StartOptions = {},
): Promise<Service> {
  const closers: (() => Promise<unknown>)[] = [];
  let stopped = false;
  // Start-up failed: its reason is the one line the operator reads, so what
  // closing half-opened clients says (pg and queue errors, with their
  // clients attached) is kept out of the log.
  let startFailed = false;
  const warn = (details: object, message: string) => {
    if (!startFailed) log.warn(details, message);
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const close of [...closers].reverse()) {
      try {
        await close();
      } catch (error) {
        warn({ err: error }, 'error while shutting down');
      }
    }
  };

  // This process's own registry, served on GET /metrics.
  const { metrics, handler: metricsHandler } = createPromMetrics();
  // Start-up waits for stores that cannot be reached yet; a store that fails
  // for good (or a stop signal) ends every wait.
  const starting = new AbortController();
  const onStopSignal = () => starting.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onStopSignal, { once: true });
  const waits = new StoreWaits(log, starting.signal);
  const waitFor: WaitFor = (store, attempt) => waits.until(store, attempt);
  // Filled in as start-up gets there; served from the start, so a process
  // waiting for a store is seen alive and not ready (503, what it waits for).
  const checks: Record<string, HealthCheck> = {};
  const routes: Record<string, RequestListener> = { [METRICS_PATH]: metricsHandler };
  let up = false;
  let server: Server | undefined;
  try {
    server = await startHttpServer(config.port, checks, { role: config.role }, routes, () =>
      up ? undefined : waits.pending,
    );
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    // /healthz answers 503 until the service is up.
    log.info({ port, role: config.role }, 'starting');
    // What only some configurations need loads while the stores open: the
    // clients of the configured platforms, and the queue dashboard.
    const loading = Promise.all([
      loadPlatforms(config),
      config.adminPassword ? import('./dashboard.js') : undefined,
    ]);
    loading.catch(() => undefined); // awaited below, where a failure ends start-up

    // Neither URL set: the service runs its own Postgres under DATA_DIR.
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await openEmbeddedPostgres({
        dataDir: config.dataDir,
        log,
        onLost: options.onFatal,
      });
      closers.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    // One line when a store goes away and one when it is back, not one per failed call.
    const postgresOutage = new OutageLog('postgres', log, async () => {
      await pool.query('SELECT 1');
    });
    closers.push(async () => postgresOutage.close());
    const pool = createPool(databaseUrl, (error) => {
      if (!postgresOutage.absorb(error, 'idle connection'))
        warn({ err: error }, 'idle Postgres connection lost');
    });
    closers.push(() => endPool(pool));
    const db = createDb(pool);
    const appDatabaseUrl = databaseUrl;
    const database = (async () => {
      await waitFor('postgres', () => probePostgres(appDatabaseUrl));
      await waitFor('postgres', () => migrateDb(pool, db));
      log.info('database migrations applied');
    })();

    let redisOutage: OutageLog | undefined;
    const onShardError = (error: unknown, message: string) => warn({ err: error }, message);
    const shardTimings = {
      leaseTtlMs: config.shardLeaseMs,
      tickMs: config.shardTickMs,
    };
    const onRedisError = (error: Error) => {
      if (!redisOutage?.absorb(error, 'redis connection'))
        warn({ err: error }, 'Redis connection error');
    };
    // Postgres and Redis are waited for at once: /healthz names every store start-up waits for.
    const [, backend] = await bothOrNeither(
      database,
      config.redisUrl
        ? openRedisBackend(config.redisUrl, config.queuePrefix, {
            waitFor,
            onError: onRedisError,
            onShardError,
            shardTimings,
          })
        : database.then(() =>
            openPostgresBackend(
              appDatabaseUrl,
              pool,
              (error) => {
                if (!postgresOutage.absorb(error, 'idle queue connection'))
                  warn({ err: error }, 'idle Postgres connection of the queue lost');
              },
              { waitFor, onShardError, shardTimings },
            ),
          ),
      starting,
    );
    closers.push(() => backend.close());
    log.info({ queue: backend.kind }, 'queue backend ready');
    if (backend.kind === 'redis') {
      redisOutage = new OutageLog('redis', log, () => backend.ping());
      closers.push(async () => redisOutage?.close());
    }
    // Where the queue lives: its workers' and queues' errors while it is away count there.
    const queueOutage = redisOutage ?? postgresOutage;
    const queues = { chat: backend.queue(QUEUES.chat), commands: backend.queue(QUEUES.commands) };
    closers.push(() => Promise.all([queues.chat.close(), queues.commands.close()]));
    for (const [name, queue] of Object.entries(queues)) {
      queue.on('error', (error: Error) => {
        if (!queueOutage.absorb(error, `${name} queue`))
          warn({ err: error, queue: name }, 'queue error');
      });
    }
    const order = backend.order;
    const chutes = new ChutesChatClient({
      baseUrl: config.chutes.baseUrl,
      apiKey: config.chutes.apiKey,
      connectTimeoutMs: config.chutes.connectTimeoutMs,
      idleTimeoutMs: config.chutes.idleTimeoutMs,
    });
    const models = new CachedModelCatalog(chutes);
    // Where answers are made: a refused key is named in the log and in /healthz.
    const keyChecked =
      config.role === 'gateway'
        ? undefined
        : checkChutesKey(chutes, log, (infos) => models.remember(infos));

    const learned = new LearnedRates(backend.learnedRules, (error) => {
      if (!queueOutage.absorb(error, 'learned rate limits'))
        warn({ err: error }, 'could not share learned rate limits');
    });
    await learned.start(PLATFORM_NAMES);
    closers.push(async () => {
      learned.close();
      await learned.flush();
    });
    const [platformEntries, dashboard] = await loading;
    const platforms = platformEntries
      .map((entry) => entry.create(config, { log, learning: learned.for(entry.name), metrics, db }))
      .filter((platform) => platform !== undefined);
    const byName = new Map(platforms.map((p) => [p.name, p]));
    const budget = backend.budget;
    const platformNamed = (platform: string) => {
      const found = byName.get(platform);
      if (!found)
        throw new Error(`no surface for platform ${platform}: is it configured on this worker?`);
      return found;
    };
    const surface = (platform: string, tenantId: string) => {
      const found = platformNamed(platform);
      return found.surfaceFor?.(tenantId) ?? found.surface;
    };

    const conversations = new PgConversationStore(db);
    if (config.role !== 'gateway') {
      const observedStore = observeStore(conversations, metrics);
      const usage = new PgUsageStore(db);
      const quotas = new Quotas(usage, metrics);
      // A used-up balance is logged once per tenant an hour, by answers and images together.
      const payments = new PaymentNotices(log);
      const settings = new PgSettingsStore(db, config.defaults);
      const turns = new Turns(order, [queues.chat, queues.commands], config.worker.lockMs, log);
      // Stop presses, recorded by whichever worker takes them, reach the one streaming.
      const stopStore = new PgStopStore(db);
      const feedback = new PgFeedbackStore(db);
      const stops = new StopWatch(stopStore, log);
      closers.push(async () => stops.stop());
      const workerOptions: WorkerOptions = {
        backend,
        log,
        concurrency: config.worker.concurrency,
        lockMs: config.worker.lockMs,
        stalledIntervalMs: config.worker.stalledIntervalMs,
        maxStalls: config.worker.maxStalls,
        metrics,
        outage: queueOutage,
      };
      // Loaded before the first job: the encoding's first load holds the
      // process for a moment (hundreds of ms on a busy machine), which must
      // not fall on the first questions of a burst. (The models list comes
      // with the key check.)
      await tokenCounter();
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
            payments,
            history: { ...config.history, contextLength: (model) => models.contextLength(model) },
            models: {
              inputModalities: async (id) => (await models.modelInfo(id))?.inputModalities,
            },
            log,
            stops,
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
            payments,
            log,
          },
          commands: {
            interactions: surface,
            styles: (platform) => platformNamed(platform).commandStyle,
            settings,
            conversations,
            usage,
            payments: usage,
            models,
            feedback,
            defaults: config.defaults,
            log,
          },
          controls: {
            interactions: surface,
            stops: stopStore,
            store: conversations,
            answers: conversations,
            // A regeneration is queued like a question.
            sink: new JobProducer(queues, order, config.worker.attempts),
            placeOf: answerPlaces(queues.chat),
            feedback,
            settings,
            metrics,
            log,
          },
        }),
      ];
      closers.push(() =>
        Promise.all(workers.map((w) => closeWorker(w, config.worker.shutdownGraceMs, log))),
      );
      log.info({ concurrency: config.worker.concurrency }, 'workers started');
    }

    if (dashboard && config.adminPassword) {
      routes[`${dashboard.DASHBOARD_PATH}/*`] = dashboard.createDashboard(
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
            OUTBOX_LIMIT,
            new OutboxJournal<OutboxEntry>(
              path.join(config.dataDir, 'outbox'),
              queueIdentity(config),
              log,
            ),
          );
    if (outbox) {
      closers.push(async () => outbox.close());
      // What a gateway that is gone had accepted while the queue was away.
      const recovered = outbox.recover();
      if (recovered > 0) log.info({ jobs: recovered }, 'queueing jobs a stopped gateway kept');
      const flood = new FloodGuard(outbox, budget, config.flood, metrics, {
        warn: (details, message) => {
          // The budget's store away: the queue's outage, not a line per question.
          if (!queueOutage.absorb((details as { err?: unknown }).err, 'flood limits'))
            log.warn(details, message);
        },
      });
      // A conversation's questions reach the queue in the order they arrived.
      const producer = new InOrder(flood);
      const settings = new PgSettingsStore(db, config.defaults);
      // The platforms connect at once; one that fails ends start-up, and the
      // others' connections are closed with the rest.
      const started = await Promise.allSettled(
        platforms.map(async (platform) => {
          const gateway = await platform.startGateway({
            producer,
            models,
            log,
            budget,
            conversations,
            settings,
            shards: backend.shards,
          });
          closers.push(() => gateway.close());
          Object.assign(routes, gateway.routes);
        }),
      );
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    }

    Object.assign(checks, {
      postgres: async () => void (await pool.query('SELECT 1')),
      // Redis, or the queue's own connections to the Postgres above.
      [backend.kind === 'redis' ? 'redis' : 'queue']: () => backend.ping(),
      // Jobs accepted while the queue was away, not queued yet.
      ...(outbox ? { outbox: () => outbox.check() } : {}),
      // CHUTES_API_KEY as checked at start.
      ...(keyChecked
        ? {
            chutes: async () => {
              const problem = await keyChecked;
              if (problem) throw new Error(problem);
            },
          }
        : {}),
    });
    // Closed first at shutdown: no new requests reach what is closing.
    const listening = server;
    closers.push(() => new Promise<void>((resolve) => listening.close(() => resolve())));
    up = true;
    // The one summary of what runs and where (src/summary.ts).
    const summary = startupSummary(config, {
      port,
      uptimeSeconds: process.uptime(),
      dashboardPath: dashboard && config.adminPassword ? dashboard.DASHBOARD_PATH : undefined,
      metricsPath: METRICS_PATH,
      healthPath: '/healthz',
    });
    log.info({ port, role: config.role, ...summary }, 'chutes-bot is up');
    return { port, stop };
  } catch (error) {
    startFailed = true;
    await stop();
    if (server?.listening) server.close();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onStopSignal);
  }
}

/** Why a store's wait ended when the other store failed for good. */
const GAVE_UP = new Error('start-up stopped: another store failed');

/**
 * Both stores opened, or the first real failure once neither is still
 * waiting: a store that fails for good ends the other's wait (`starting`),
 * and a backend the other side opened meanwhile is closed.
 */
async function bothOrNeither<A, B extends { close(): Promise<void> }>(
  first: Promise<A>,
  second: Promise<B>,
  starting: AbortController,
): Promise<[A, B]> {
  const giveUp = () => starting.abort(GAVE_UP);
  first.catch(giveUp);
  second.catch(giveUp);
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  if (b.status === 'fulfilled') await b.value.close().catch(() => undefined);
  const reasons = [a, b].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  throw reasons.find((reason) => reason !== GAVE_UP) ?? reasons[0];
}

/**
 * What names the queue a gateway's outbox feeds: its journal on disk is
 * taken over only by gateways of the same queue.
 */
function queueIdentity(config: Config): string {
  if (config.redisUrl) return `redis ${config.redisUrl} ${config.queuePrefix}`;
  if (config.databaseUrl) return `postgres ${config.databaseUrl}`;
  return `embedded ${path.resolve(config.dataDir)}`;
}

/** How long handed-back jobs get to reach the queue once their attempts are stopped. */
export const HAND_BACK_MS = 5_000;
/**
 * What closing the rest gets (connections, stores, an embedded Postgres, last)
 * after the grace and the hand-back, before main.ts exits anyway. A process
 * manager must wait longer than SHUTDOWN_GRACE_MS + HAND_BACK_MS + CLOSE_MS.
 */
export const CLOSE_MS = 5_000;

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
