/**
 * The shared rate budget on Redis: a sliding log per bucket, so that no
 * window of a bucket's length, wherever it starts, ever holds more than its
 * points.
 *
 * Why not fixed windows (rate-limiter-flexible, which this replaced):
 * Discord and Slack count a window from its first request. Fixed windows of
 * our own, however stretched, let a full window's tail and the next window's
 * head land in one platform window — twice the limit, and a 429 under every
 * sustained burst. No maintained library offers a sliding log that takes
 * several buckets at once, atomically, with priorities, across processes, so
 * this is one Lua script (the same technique as the usual Redis sorted-set
 * rate limiters).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  reservedFor,
  type BudgetBucket,
  type BudgetPriority,
  type RateBudget,
} from '../core/rate-budget.js';
import type { RateSpec } from '../core/surface.js';
import { BudgetSignals } from './budget-signals.js';

/**
 * A platform counts a window from when a request arrives; we count from when
 * it is taken, a little earlier, by an amount that varies (the request's own
 * latency, a busy event loop). Windows are lengthened so that this variation
 * never puts one more request into a platform window.
 */
export const WINDOW_MARGIN = { factor: 1.05, extraMs: 200 } as const;

export function budgetWindowMs(spec: RateSpec): number {
  return Math.ceil(spec.windowMs * WINDOW_MARGIN.factor + WINDOW_MARGIN.extraMs);
}

/**
 * KEYS: the buckets' logs. ARGV: a unique member, then per bucket the points
 * this priority may use and the window in ms. Returns 0 when a point was
 * taken from every bucket, else the ms until this priority could take one.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local allowed = tonumber(ARGV[i * 2])
  local window = tonumber(ARGV[i * 2 + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= allowed then
    local ms = window
    if count > 0 then
      -- The entry whose expiry leaves this priority a point (the oldest, when it may use none).
      local index = math.min(count - 1, math.max(0, count - allowed))
      local entry = redis.call('ZRANGE', key, index, index, 'WITHSCORES')
      ms = tonumber(entry[2]) + window - now
    end
    if ms > wait then wait = ms end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[i * 2 + 1])
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, window)
end
return 0`;

export class RedisBudget implements RateBudget {
  private readonly signals: BudgetSignals;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.signals = new BudgetSignals(redis, `${prefix}:rate`);
  }

  async tryTake(
    buckets: readonly BudgetBucket[],
    priority: BudgetPriority = 'first',
  ): Promise<number> {
    if (buckets.length === 0) return 0;
    const keys = buckets.map((b) => b.key);
    // Higher priorities waiting on these buckets go first.
    const yieldMs = await this.signals.yieldFor(keys, priority);
    if (yieldMs > 0) return yieldMs;
    // An update also leaves the points that visible answers' final renders need.
    const owed = priority === 'update' ? await this.signals.owed(keys) : [];
    const args: (string | number)[] = [randomUUID()];
    for (const [i, bucket] of buckets.entries()) {
      const { points } = bucket.spec;
      const allowed = points - reservedFor(priority, points) - (owed[i] ?? 0);
      args.push(Math.max(0, allowed), budgetWindowMs(bucket.spec));
    }
    const waitMs = Number(
      await this.redis.eval(TAKE, keys.length, ...keys.map((k) => this.logKey(k)), ...args),
    );
    if (waitMs > 0) await this.signals.demand(keys, priority, waitMs);
    return waitMs;
  }

  async owe(buckets: readonly BudgetBucket[], id: string, owing: boolean): Promise<void> {
    await this.signals.owe(
      buckets.map((b) => b.key),
      id,
      owing,
    );
  }

  private logKey(key: string): string {
    return `${this.prefix}:rate:log:${key}`;
  }
}
