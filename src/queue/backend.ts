/**
 * Where the queue and its coordination live: Redis (REDIS_URL set) or the
 * app's Postgres. Both give the same BullMQ Queue/Worker API, conversation
 * order, rate budget, learned-rate store and gateway shard coordination;
 * nothing above this module knows which one runs.
 */
import {
  DEFAULT_SCHEMA,
  Queue,
  runMigrations,
  Worker,
  type IQueueBackend,
  type JobProgress,
  type Processor,
  type WorkerOptions as BullWorkerOptions,
} from 'bullmq';
import { createGuardedPostgresBackend } from './pg-queue-backend.js';
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { RateBudget } from '../core/rate-budget.js';
import type { ShardCoordination } from '../core/shard-coordination.js';
import { createPool, endPool } from '../db/client.js';
import { ConversationOrder, RedisLines } from './conversation-order.js';
import { RedisLearnedRules, type LearnedRulesStore } from './learned-rates.js';
import { PgBudget, PgLearnedRules, PgLines } from './pg-coordination.js';
import { PgShards } from './pg-shards.js';
import { RedisBudget } from './rate-budget.js';
import { RedisShards } from './redis-shards.js';
import type { ShardErrorReport, ShardTimings } from './shard-leases.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- BullMQ's classes are generic over payloads we validate ourselves. */
export type JobQueue = Queue<any, any, string, any, any, string, IQueueBackend, any>;
export type JobWorker = Worker<any, any, string, IQueueBackend, JobProgress, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export type QueueWorkerOptions = Omit<BullWorkerOptions, 'connection' | 'prefix'>;

export interface QueueBackend {
  readonly kind: 'redis' | 'postgres';
  queue(name: string): JobQueue;
  worker(name: string, processor: Processor, options: QueueWorkerOptions): JobWorker;
  readonly order: ConversationOrder;
  readonly budget: RateBudget;
  readonly learnedRules: LearnedRulesStore;
  /** Gateway processes sharing a platform's shards (leases, stored sessions, identify gate). */
  readonly shards: ShardCoordination;
  /** Throws when the backend cannot be reached (the health check). */
  ping(): Promise<void>;
  /** Closes what the backend opened, after its queues and workers are closed. */
  close(): Promise<void>;
}

/** Runs an attempt to reach a store until it can be reached (see StoreWaits); by default, once. */
export type WaitFor = <T>(store: string, attempt: () => Promise<T>) => Promise<T>;
const once: WaitFor = (_store, attempt) => attempt();

export interface BackendOptions {
  /** How opening waits for a store that cannot be reached yet. */
  readonly waitFor?: WaitFor;
  /**
   * Errors of the backend's own connections once it is open (an outage: a
   * reset, each failed reconnect); BullMQ's queues and workers report theirs
   * as their 'error' events.
   */
  readonly onError?: (error: Error) => void;
  /** The shard coordination's lease and gate timings (tests shorten them). */
  readonly shardTimings?: Partial<ShardTimings>;
  /** The shard coordination's errors, each with a sentence (store outages once, not every tick). */
  readonly onShardError?: ShardErrorReport;
}

export async function openRedisBackend(
  url: string,
  prefix: string,
  options: BackendOptions = {},
): Promise<QueueBackend> {
  // Producers, turns and the budget fail fast while Redis is away, so the
  // gateway can tell the user; only the workers' blocking connection waits.
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 2,
  });
  // Every error event has a listener: none reaches ioredis' "Unhandled error event".
  let open = false;
  let lastError: Error | undefined;
  const onError = (error: Error) => {
    lastError = error;
    if (open) options.onError?.(error);
  };
  redis.on('error', onError);
  // ioredis reconnects on its own (its retryStrategy); each try only waits for its outcome.
  void redis.connect().catch(() => undefined);
  try {
    await (options.waitFor ?? once)('redis', () => connected(redis, () => lastError));
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  open = true;
  let workerRedis: Redis | undefined;
  return {
    kind: 'redis',
    queue: (name) => new Queue(name, { connection: redis, prefix }),
    worker: (name, processor, options) => {
      if (!workerRedis) {
        workerRedis = new Redis(url, { maxRetriesPerRequest: null });
        // BullMQ forwards this connection's errors to the workers' 'error' events.
        workerRedis.on('error', () => undefined);
      }
      return new Worker(name, processor, { ...options, connection: workerRedis, prefix });
    },
    order: new ConversationOrder(new RedisLines(redis, prefix)),
    budget: new RedisBudget(redis, prefix),
    learnedRules: new RedisLearnedRules(redis, prefix),
    shards: new RedisShards(redis, prefix, {
      timings: options.shardTimings,
      onError: options.onShardError,
    }),
    ping: async () => void (await redis.ping()),
    close: async () => {
      await Promise.allSettled([redis.quit(), workerRedis?.quit()]);
    },
  };
}

/**
 * Resolves once `redis` is ready; rejects when its connection attempt under
 * way fails, with what Redis or the socket said (`lastError`) rather than
 * ioredis' bare "Connection is closed.".
 */
function connected(redis: Redis, lastError: () => Error | undefined): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'end') return Promise.reject(new Error('the Redis connection was closed'));
  return new Promise((resolve, reject) => {
    const ready = () => {
      redis.off('close', closed);
      resolve();
    };
    const closed = () => {
      redis.off('ready', ready);
      reject(lastError() ?? new Error('Connection is closed before Redis answered'));
    };
    redis.once('ready', ready);
    redis.once('close', closed);
  });
}

/**
 * Connections for BullMQ's share of a Postgres-only deployment (each of its
 * workers holds one for LISTEN). With the app's pool (10, createPool's
 * default) and the budget's, a process holds at most 25, so Postgres'
 * default max_connections of 100 serves a gateway and three workers.
 */
const QUEUE_POOL_SIZE = 10;
/** Connections for the rate budget's takes and settles (they serialise on hot rows anyway). */
const BUDGET_POOL_SIZE = 5;

/**
 * The queue in BullMQ's Postgres backend, in its own schema of the app's
 * database; order, budget and learned rates in the app's schema (migrated by
 * the caller before this runs), on the app's pool.
 */
export async function openPostgresBackend(
  databaseUrl: string,
  appPool: pg.Pool,
  onIdleError?: (error: Error) => void,
  options: Pick<BackendOptions, 'waitFor' | 'shardTimings' | 'onShardError'> = {},
): Promise<QueueBackend> {
  const schema = DEFAULT_SCHEMA;
  // BullMQ's SQL names its tables unqualified: its connections look in its schema.
  const queuePool = createPool(databaseUrl, onIdleError, {
    max: QUEUE_POOL_SIZE,
    options: `-c search_path=${schema}`,
    keepAlive: true,
  });
  try {
    await (options.waitFor ?? once)('postgres', async () => {
      const client = await queuePool.connect();
      try {
        await runMigrations(client, schema);
        client.release();
      } catch (error) {
        // A connection that failed is not handed to the next try.
        client.release(true);
        throw error;
      }
    });
  } catch (error) {
    await endPool(queuePool);
    throw error;
  }
  // The budget's takes queue on the bot-wide buckets' row locks: on a pool of
  // their own, their waits never hold the connections that jobs need for
  // their turns, settings and history.
  const budgetPool = createPool(databaseUrl, onIdleError, { max: BUDGET_POOL_SIZE });
  return {
    kind: 'postgres',
    queue: (name) => new Queue(name, { connection: queuePool }, createGuardedPostgresBackend),
    worker: (name, processor, options) =>
      new Worker(
        name,
        processor,
        { ...options, connection: queuePool },
        createGuardedPostgresBackend,
      ),
    order: new ConversationOrder(new PgLines(appPool)),
    budget: new PgBudget(budgetPool),
    learnedRules: new PgLearnedRules(appPool),
    shards: new PgShards(appPool, {
      timings: options.shardTimings,
      onError: options.onShardError,
    }),
    ping: async () => void (await queuePool.query('SELECT 1')),
    close: async () => {
      await Promise.allSettled([endPool(queuePool), endPool(budgetPool)]);
    },
  };
}
