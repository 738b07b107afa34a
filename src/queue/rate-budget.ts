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
import { BudgetSignals, DEMAND_GRACE_MS, RANK, WAITER_TTL_MS } from './budget-signals.js';
import { RedisScripts } from './redis-scripts.js';

/**
 * A platform counts a window from when a request arrives. A point taken for
 * a call that will be settled counts as in flight (it does not expire) until
 * the call is answered and settle() moves it to the answer's time, which is
 * no earlier than the arrival; so a window counted from the point is never
 * shorter than the platform's, however long the call took to leave. Windows
 * are lengthened a little for the calls that are not settled (their points
 * count from when they were taken) and the clocks' granularity: with 25 ms
 * instead of 100, a burst over 200 channels drew one or two 429s.
 */
export const WINDOW_MARGIN = { factor: 1.0, extraMs: 100 } as const;

/**
 * How long a point stays in flight when its call is never settled (its
 * worker died mid-call): longer than any platform call is let run
 * (the surfaces' clients give up on a request after 15 s).
 */
export const FLIGHT_HOLD_MS = 20_000;

export function budgetWindowMs(spec: RateSpec): number {
  return Math.ceil(spec.windowMs * WINDOW_MARGIN.factor + WINDOW_MARGIN.extraMs);
}

export class RedisBudget implements RateBudget {
  private readonly signals: BudgetSignals;
  private readonly scripts: RedisScripts;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly flightHoldMs: number = FLIGHT_HOLD_MS,
  ) {
    this.signals = new BudgetSignals(redis, `${prefix}:rate`);
    this.scripts = new RedisScripts(redis);
  }

  async tryTake(
    buckets: readonly BudgetBucket[],
    priority: BudgetPriority = 'first',
    ticket?: string,
  ): Promise<number> {
    if (buckets.length === 0) return 0;
    const keys = buckets.flatMap((b) => this.signals.keysOf(b.key));
    // Only a call with a ticket is settled, and asks again with the same
    // ticket: its point stays in flight until settled, and a first message
    // waits in line.
    const flight = ticket === undefined ? 0 : this.flightHoldMs;
    const waiterTtl = ticket === undefined ? 0 : WAITER_TTL_MS;
    const args: (string | number)[] = [
      ticket ?? randomUUID(),
      RANK[priority],
      DEMAND_GRACE_MS,
      flight,
      waiterTtl,
    ];
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
