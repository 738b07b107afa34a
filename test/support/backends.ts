/**
 * The two homes of the queue and its coordination, for contract tests that
 * must pass on both: the machine's Redis (a prefix of its own) and the
 * machine's Postgres (a database of its own).
 */
import type { Redis } from 'ioredis';
import type { RateBudget } from '../../src/core/rate-budget.js';
import type { Db } from '../../src/db/client.js';
import {
  openPostgresBackend,
  openRedisBackend,
  type QueueBackend,
} from '../../src/queue/backend.js';
import { RedisLearnedRules, type LearnedRulesStore } from '../../src/queue/learned-rates.js';
import { PgBudget, PgLearnedRules } from '../../src/queue/pg-coordination.js';
import { PgShards } from '../../src/queue/pg-shards.js';
import { RedisBudget } from '../../src/queue/rate-budget.js';
import { RedisShards } from '../../src/queue/redis-shards.js';
import type { ShardStoreOptions } from '../../src/queue/shard-leases.js';
import type { ShardCoordination } from '../../src/core/shard-coordination.js';
import { createTestDatabase, type TestDatabase } from './pg.js';
import { connectRedis, deletePrefix, REDIS_URL, uniquePrefix } from './redis.js';

export interface TestBackend {
  readonly kind: QueueBackend['kind'];
  readonly backend: QueueBackend;
  /** The Redis key prefix of this backend's queue and coordination (Redis only). */
  readonly prefix?: string;
  /** The app's database (a fresh one per backend). */
  readonly db: Db;
  /**
   * Another client of the same shared budget, as a second process would have
   * (`flightHoldMs`: how long an unsettled call's point stays in flight).
   */
  budget(options?: {
    flightHoldMs?: number;
  }): RateBudget & Required<Pick<RateBudget, 'owe' | 'settle' | 'wouldWait'>>;
  /** Another client of the same learned-rate store. */
  learnedRules(): LearnedRulesStore;
  /** Another process's shard coordination on the same store (shorter timings for tests). */
  shards(options?: ShardStoreOptions): ShardCoordination;
  close(): Promise<void>;
}

export type BackendKind = QueueBackend['kind'];
export const BACKEND_KINDS: readonly BackendKind[] = ['redis', 'postgres'];

export async function openTestBackend(kind: QueueBackend['kind']): Promise<TestBackend> {
  const database: TestDatabase = await createTestDatabase();
  if (kind === 'redis') {
    const prefix = uniquePrefix('backend');
    const redis: Redis = connectRedis();
    const backend = await openRedisBackend(REDIS_URL, prefix);
    return {
      kind,
      backend,
      prefix,
      db: database.db,
      budget: (options = {}) => new RedisBudget(redis, prefix, options.flightHoldMs),
      learnedRules: () => new RedisLearnedRules(redis, prefix),
      shards: (options) => new RedisShards(redis, prefix, options),
      async close() {
        await backend.close();
        await deletePrefix(redis, prefix);
        await redis.quit();
        await database.drop();
      },
    };
  }
  const backend = await openPostgresBackend(database.url, database.pool);
  return {
    kind,
    backend,
    db: database.db,
    budget: (options = {}) => new PgBudget(database.pool, options.flightHoldMs),
    learnedRules: () => new PgLearnedRules(database.pool),
    shards: (options) => new PgShards(database.pool, options),
    async close() {
      await backend.close();
      await database.drop();
    },
  };
}
