import type { Redis } from 'ioredis';
import { RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import {
  reservedFor,
  type BudgetBucket,
  type BudgetPriority,
  type RateBudget,
} from '../core/rate-budget.js';
import type { RateSpec } from '../core/surface.js';
import { BudgetSignals } from './budget-signals.js';

/**
 * A platform's published window is measured from its first request; ours starts
 * a little earlier (before the request leaves). Stretch windows so the two
 * never disagree by the few milliseconds that turn into a 429.
 */
export const WINDOW_MARGIN = { factor: 1.1, extraMs: 250 } as const;

/**
 * rate-limiter-flexible's own script sets whole-second expiries (ARGV[2] is
 * the duration floored to seconds), which would turn Discord's 50 per second
 * into 50 per two seconds. This is the same script with millisecond expiries,
 * taken from the limiter's own duration (ARGV[4], fractional seconds).
 */
const INCR_TTL_MS = `
local ms = math.floor(tonumber(ARGV[4]) * 1000)
redis.call('set', KEYS[1], 0, 'PX', ms, 'NX')
local consumed = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('pexpire', KEYS[1], ms)
  ttl = ms
end
return {consumed, ttl}`;

function stretched(spec: RateSpec): number {
  return Math.ceil(spec.windowMs * WINDOW_MARGIN.factor + WINDOW_MARGIN.extraMs);
}

/**
 * The window a limiter counts: the stretched one, at least a second long.
 * rate-limiter-flexible sets no expiry on windows under a second (it works
 * in whole seconds there), so a shorter rule keeps its points over a whole
 * second: stricter, never looser.
 */
export function windowed(spec: RateSpec): { points: number; durationMs: number } {
  return { points: spec.points, durationMs: Math.max(1_000, stretched(spec)) };
}

/**
 * Budgets on rate-limiter-flexible: fixed windows per key, atomic in Redis
 * (one Lua call per bucket), shared by every worker on the same Redis.
 *
 * Priorities share a bucket's counter but not its ceiling: a lower priority
 * consumes through a limiter with fewer points on the same key, so its
 * increment is refused, atomically, once it would eat into the points kept
 * for higher ones.
 */
export class LimiterBudget implements RateBudget {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly makeLimiter: (
      namespace: string,
      points: number,
      durationMs: number,
    ) => RateLimiterAbstract,
    private readonly signals?: BudgetSignals,
  ) {}

  static redis(redis: Redis, keyPrefix: string): LimiterBudget {
    return new LimiterBudget(
      (namespace, points, durationMs) =>
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${keyPrefix}:rate:${namespace}`,
          points,
          duration: durationMs / 1000,
          customIncrTtlLuaScript: INCR_TTL_MS,
        }),
      new BudgetSignals(redis, `${keyPrefix}:rate`),
    );
  }

  async tryTake(
    buckets: readonly BudgetBucket[],
    priority: BudgetPriority = 'first',
  ): Promise<number> {
    const keys = buckets.map((b) => b.key);
    // Higher priorities waiting on these buckets go first.
    const yieldMs = (await this.signals?.yieldFor(keys, priority)) ?? 0;
    if (yieldMs > 0) return yieldMs;
    const owed = priority === 'update' ? ((await this.signals?.owed(keys)) ?? []) : [];
    // Check every bucket before consuming any, so a refusal mostly wastes no
    // point; the consume below is what holds under races. An update also
    // leaves the points that visible answers' final renders will need.
    let waitMs = 0;
    for (const [i, bucket] of buckets.entries()) {
      const state = await this.limiter(bucket.spec, priority).get(bucket.key);
      if (state && state.remainingPoints <= (owed[i] ?? 0))
        waitMs = Math.max(waitMs, state.msBeforeNext);
    }
    if (waitMs > 0) {
      await this.signals?.demand(keys, priority, waitMs);
      return waitMs;
    }
    const taken: BudgetBucket[] = [];
    for (const bucket of buckets) {
      try {
        await this.limiter(bucket.spec, priority).consume(bucket.key);
        taken.push(bucket);
      } catch (rejection) {
        const ms = (rejection as { msBeforeNext?: number }).msBeforeNext;
        if (typeof ms !== 'number') throw rejection;
        // Another worker took the last point between our check and consume:
        // give back what this attempt took, the refused point included.
        for (const back of [...taken, bucket])
          await this.limiter(back.spec, priority).reward(back.key, 1);
        await this.signals?.demand(keys, priority, ms);
        return Math.max(ms, 1);
      }
    }
    return 0;
  }

  async owe(buckets: readonly BudgetBucket[], id: string, owing: boolean): Promise<void> {
    await this.signals?.owe(
      buckets.map((b) => b.key),
      id,
      owing,
    );
  }

  private limiter(spec: RateSpec, priority: BudgetPriority): RateLimiterAbstract {
    const { points, durationMs } = windowed(spec);
    const allowed = points - reservedFor(priority, points);
    const id = `${points}/${durationMs}/${allowed}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      // The namespace is the bucket's size, not the priority's: one counter per bucket.
      limiter = this.makeLimiter(`${points}:${durationMs}`, allowed, durationMs);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}
