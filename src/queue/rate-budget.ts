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
  usablePoints,
  type BudgetBucket,
  type BudgetPriority,
  type RateBudget,
} from '../core/rate-budget.js';
import type { RateSpec } from '../core/surface.js';
import { BudgetSignals, DEMAND_GRACE_MS, RANK } from './budget-signals.js';

/**
 * A platform counts a window from when a request arrives. A point counts
 * from when it was taken, a little earlier, until its call is answered and
 * settle() moves it to the answer's time, which is no earlier than the
 * arrival. Windows are lengthened a little for the calls that are not
 * settled (a worker that died mid-call) and for the clocks' granularity.
 */
export const WINDOW_MARGIN = { factor: 1.0, extraMs: 100 } as const;

export function budgetWindowMs(spec: RateSpec): number {
  return Math.ceil(spec.windowMs * WINDOW_MARGIN.factor + WINDOW_MARGIN.extraMs);
}

/**
 * Takes a point from every bucket, or says how long to wait. Per bucket, KEYS
 * holds four keys: its log, the answers owing it a final render, and the
 * demand marks of first messages and of final renders. ARGV: a unique
 * member, the priority's rank (0 first, 1 final, 2 update), the demand
 * mark's grace in ms, then per bucket the points this priority may use and
 * the window in ms.
 *
 * A lower priority first stands back while a higher one is marked as
 * waiting; an update also leaves the points owed to final renders; a higher
 * priority that must wait marks its buckets for the length of its wait.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rank = tonumber(ARGV[2])
local buckets = #KEYS / 4
local wait = 0
for b = 0, buckets - 1 do
  for r = 0, rank - 1 do
    local ttl = redis.call('PTTL', KEYS[b * 4 + 3 + r])
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for b = 0, buckets - 1 do
  local log = KEYS[b * 4 + 1]
  local allowed = tonumber(ARGV[4 + b * 2])
  local window = tonumber(ARGV[5 + b * 2])
  if rank == 2 then
    allowed = allowed - redis.call('ZCOUNT', KEYS[b * 4 + 2], now, '+inf')
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
  local count = redis.call('ZCARD', log)
  if count >= allowed then
    local ms = window
    if count > 0 then
      -- The entry whose expiry leaves this priority a point (the oldest, when it may use none).
      local index = math.min(count - 1, math.max(0, count - allowed))
      local entry = redis.call('ZRANGE', log, index, index, 'WITHSCORES')
      ms = tonumber(entry[2]) + window - now
    end
    if ms > wait then wait = ms end
  end
end
if wait > 0 then
  if rank < 2 then
    for b = 0, buckets - 1 do
      redis.call('SET', KEYS[b * 4 + 3 + rank], '1', 'PX', wait + tonumber(ARGV[3]))
    end
  end
  return wait
end
for b = 0, buckets - 1 do
  redis.call('ZADD', KEYS[b * 4 + 1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[b * 4 + 1], tonumber(ARGV[5 + b * 2]))
end
return 0`;

/**
 * Moves a settled point to now, in every log that still holds it, and keeps
 * the log for a window from now. KEYS: the logs; ARGV: the ticket, then the
 * window of each log in ms.
 */
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, log in ipairs(KEYS) do
  if redis.call('ZSCORE', log, ARGV[1]) then
    redis.call('ZADD', log, now, ARGV[1])
    redis.call('PEXPIRE', log, tonumber(ARGV[i + 1]))
  end
end
return 0`;

/**
 * How long until a bucket has a point for a first-priority take, without
 * taking one or trimming the log: the TAKE script's count and wait for one
 * bucket. KEYS: its log; ARGV: its points, its window in ms.
 */
const WOULD_WAIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local allowed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local expired = redis.call('ZCOUNT', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1]) - expired
if count < allowed then return 0 end
if count == 0 then return window end
local index = expired + math.min(count - 1, math.max(0, count - allowed))
local entry = redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')
return math.max(1, tonumber(entry[2]) + window - now)`;

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
    ticket: string = randomUUID(),
  ): Promise<number> {
    if (buckets.length === 0) return 0;
    const keys = buckets.flatMap((b) => this.signals.keysOf(b.key));
    const args: (string | number)[] = [ticket, RANK[priority], DEMAND_GRACE_MS];
    for (const bucket of buckets) {
      args.push(usablePoints(priority, bucket), budgetWindowMs(bucket.spec));
    }
    return Number(await this.redis.eval(TAKE, keys.length, ...keys, ...args));
  }

  async wouldWait(bucket: BudgetBucket): Promise<number> {
    const [log] = this.signals.keysOf(bucket.key);
    return Number(
      await this.redis.eval(
        WOULD_WAIT,
        1,
        log!,
        usablePoints('first', bucket),
        budgetWindowMs(bucket.spec),
      ),
    );
  }

  async settle(buckets: readonly BudgetBucket[], ticket: string): Promise<void> {
    if (buckets.length === 0) return;
    await this.redis.eval(
      SETTLE,
      buckets.length,
      ...buckets.map((b) => this.signals.keysOf(b.key)[0]!),
      ticket,
      ...buckets.map((b) => budgetWindowMs(b.spec)),
    );
  }

  async owe(buckets: readonly BudgetBucket[], id: string, owing: boolean): Promise<void> {
    await this.signals.owe(
      buckets.map((b) => b.key),
      id,
      owing,
    );
  }
}
