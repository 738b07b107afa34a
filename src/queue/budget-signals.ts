/**
 * What the shared budget knows besides its counters, so that priorities hold
 * across workers and not only by luck of timing:
 *
 * - demand: a first message or final render that had to wait marks its
 *   buckets for a moment, and lower priorities stand back until it is served;
 * - owed finals: every answer already visible owes one final render to the
 *   buckets it will be drawn from, and updates never spend the points those
 *   renders need.
 *
 * Both live in Redis with expiries, so a crashed worker's marks fade away;
 * the budget's take script (lua/budget-take.lua) reads and sets them atomically.
 */
import type { Redis } from 'ioredis';
import type { BudgetPriority } from '../core/rate-budget.js';

export const RANK: Record<BudgetPriority, number> = { first: 0, final: 1, update: 2 };
/** A waiting request's mark outlives its wait by this much, so it can retry first. */
export const DEMAND_GRACE_MS = 250;
/**
 * A first message waiting for a point that has not come back for this long
 * (its worker died, its job ended) leaves the line of waiters.
 */
export const WAITER_TTL_MS = 15_000;
/** An answer that owes a final render for longer than this is taken to have died. */
export const OWED_TTL_MS = 10 * 60_000;

export class BudgetSignals {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /**
   * A bucket's keys as the take script reads them: its log, the answers owing
   * it a final render, the demand marks of first messages and finals, and the
   * line of first messages waiting.
   */
  keysOf(key: string): string[] {
    return [
      `${this.prefix}:log:${key}`,
      this.owedKey(key),
      this.demandKey(key, 'first'),
      this.demandKey(key, 'final'),
      `${this.prefix}:waiting:${key}`,
    ];
  }

  /** Records (or, with `owing` false, clears) that answer `id` owes these buckets a final render. */
  async owe(keys: readonly string[], id: string, owing: boolean): Promise<void> {
    const now = Date.now();
    await Promise.all(
      keys.map(async (key) => {
        const owedKey = this.owedKey(key);
        if (!owing) {
          await this.redis.zrem(owedKey, id);
          return;
        }
        await this.redis
          .multi()
          .zadd(owedKey, now + OWED_TTL_MS, id)
          .zremrangebyscore(owedKey, '-inf', now)
          .pexpire(owedKey, OWED_TTL_MS)
          .exec();
      }),
    );
  }

  private demandKey(key: string, priority: 'first' | 'final'): string {
    return `${this.prefix}:demand:${priority}:${key}`;
  }

  private owedKey(key: string): string {
    return `${this.prefix}:owed:${key}`;
  }
}
