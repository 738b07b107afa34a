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
 * this is one Lua script, lua/budget-take.lua (the same technique as the
 * usual Redis sorted-set rate limiters).
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
import { RedisScripts } from './redis-scripts.js';

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

export class RedisBudget implements RateBudget {
  private readonly signals: BudgetSignals;
  private readonly scripts: RedisScripts;

  constructor(redis: Redis, prefix: string) {
    this.signals = new BudgetSignals(redis, `${prefix}:rate`);
    this.scripts = new RedisScripts(redis);
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
    return Number(await this.scripts.run('budget-take', keys, args));
  }

  async wouldWait(bucket: BudgetBucket): Promise<number> {
    const [log] = this.signals.keysOf(bucket.key);
    return Number(
      await this.scripts.run(
        'budget-would-wait',
        [log!],
        [usablePoints('first', bucket), budgetWindowMs(bucket.spec)],
      ),
    );
  }

  async settle(buckets: readonly BudgetBucket[], ticket: string): Promise<void> {
    if (buckets.length === 0) return;
    await this.scripts.run(
      'budget-settle',
      buckets.map((b) => this.signals.keysOf(b.key)[0]!),
      [ticket, ...buckets.map((b) => budgetWindowMs(b.spec))],
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
