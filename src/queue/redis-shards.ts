/**
 * Gateway shard coordination on Redis: leases and membership through
 * lua/shard-tick.lua and lua/shard-release.lua (PX TTLs and Redis' TIME, so
 * expiry follows Redis' clock), stored sessions as JSON keys with a PX TTL,
 * and the identify gate as one SET NX PX key per bucket. Keys live under
 * `<prefix>:shards:`.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type {
  GatewaySessionInfo,
  GatewaySessions,
  IdentifyGate,
  ShardCoordination,
} from '../core/shard-coordination.js';
import { RedisScripts } from './redis-scripts.js';
import {
  identifyBucket,
  joinShards,
  shardTimings,
  waitForTurn,
  type ShardLeaseStore,
  type ShardStoreOptions,
  type ShardTimings,
  type TickAnswer,
} from './shard-leases.js';

export const sessionSchema = z.object({
  sessionId: z.string().min(1),
  sequence: z.number().int().nonnegative(),
  resumeUrl: z.string().min(1),
  shardCount: z.number().int().positive(),
});

class RedisLeaseStore implements ShardLeaseStore {
  constructor(
    private readonly redis: Redis,
    private readonly scripts: RedisScripts,
    private readonly base: string,
  ) {}

  async tick(
    owner: string,
    shardCount: number,
    held: readonly number[],
    ttlMs: number,
  ): Promise<TickAnswer> {
    const keys = [this.members(shardCount)];
    for (let id = 0; id < shardCount; id++) keys.push(this.lease(shardCount, id));
    const [members, renewed, free] = (await this.scripts.run('shard-tick', keys, [
      owner,
      ttlMs,
      ...held,
    ])) as [number, number[], number[]];
    return { members: Number(members), renewed: renewed.map(Number), free: free.map(Number) };
  }

  async claim(owner: string, shardCount: number, shardId: number, ttlMs: number) {
    const taken = await this.scripts.run(
      'shard-claim',
      [this.lease(shardCount, shardId)],
      [owner, String(ttlMs)],
    );
    return taken === 1;
  }

  async release(owner: string, shardCount: number, shardId: number): Promise<void> {
    await this.scripts.run('shard-release', [this.lease(shardCount, shardId)], [owner]);
  }

  async leave(owner: string, shardCount: number): Promise<void> {
    await this.redis.zrem(this.members(shardCount), owner);
  }

  private members(shardCount: number): string {
    return `${this.base}:${shardCount}:members`;
  }

  private lease(shardCount: number, shardId: number): string {
    return `${this.base}:${shardCount}:lease:${shardId}`;
  }
}

export class RedisShards implements ShardCoordination {
  readonly join: ShardCoordination['join'];
  readonly sessions: GatewaySessions;
  readonly identify: IdentifyGate;
  private readonly timings: ShardTimings;

  constructor(redis: Redis, prefix: string, options: ShardStoreOptions = {}) {
    const base = `${prefix}:shards`;
    this.timings = shardTimings(options);
    const store = new RedisLeaseStore(redis, new RedisScripts(redis), base);
    this.join = joinShards(store, this.timings, options.onError ?? (() => undefined));
    const sessionKey = (shardId: number) => `${base}:session:${shardId}`;
    const { sessionTtlMs, identifySpacingMs } = this.timings;
    this.sessions = {
      async get(shardId, shardCount) {
        const text = await redis.get(sessionKey(shardId));
        if (text === null) return undefined;
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return undefined;
        }
        const parsed = sessionSchema.safeParse(json);
        if (!parsed.success || parsed.data.shardCount !== shardCount) return undefined;
        return parsed.data satisfies GatewaySessionInfo;
      },
      async put(shardId, info) {
        const { sessionId, sequence, resumeUrl, shardCount } = info;
        const json = JSON.stringify({ sessionId, sequence, resumeUrl, shardCount });
        await redis.set(sessionKey(shardId), json, 'PX', sessionTtlMs);
      },
      async remove(shardId) {
        await redis.del(sessionKey(shardId));
      },
    };
    this.identify = {
      wait: (shardId, maxConcurrency, signal) => {
        const key = `${base}:identify:${identifyBucket(shardId, maxConcurrency)}`;
        return waitForTurn(async () => {
          if ((await redis.set(key, '1', 'PX', identifySpacingMs, 'NX')) === 'OK') return 0;
          // -2: gone meanwhile (try at once); -1 cannot happen (always set with PX).
          return Math.max(1, await redis.pttl(key));
        }, signal);
      },
    };
  }
}
