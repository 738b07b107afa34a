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
 * Both live in Redis with expiries, so a crashed worker's marks fade away.
 */
import type { Redis } from 'ioredis';
import type { BudgetPriority } from '../core/rate-budget.js';

const RANK: Record<BudgetPriority, number> = { first: 0, final: 1, update: 2 };
/** A waiting request's mark outlives its wait by this much, so it can retry first. */
const DEMAND_GRACE_MS = 250;
/** An answer that owes a final render for longer than this is taken to have died. */
const OWED_TTL_MS = 10 * 60_000;

export class BudgetSignals {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /**
   * How long a request of `priority` should wait because higher ones are
   * waiting on any of these buckets (0: it need not).
   */
  async yieldFor(keys: readonly string[], priority: BudgetPriority): Promise<number> {
    const above = (Object.keys(RANK) as BudgetPriority[]).filter((p) => RANK[p] < RANK[priority]);
    if (above.length === 0 || keys.length === 0) return 0;
    const demand = keys.flatMap((key) => above.map((p) => this.demandKey(key, p)));
    const ttls = await Promise.all(demand.map((key) => this.redis.pttl(key)));
    return Math.max(0, ...ttls);
  }

  /** A request of `priority` waits `waitMs` on these buckets: lower ones stand back meanwhile. */
  async demand(keys: readonly string[], priority: BudgetPriority, waitMs: number): Promise<void> {
    if (priority === 'update') return;
    const ms = Math.ceil(waitMs + DEMAND_GRACE_MS);
    await Promise.all(
      keys.map((key) => this.redis.set(this.demandKey(key, priority), '1', 'PX', ms)),
    );
  }

  /** How many final renders the answers now visible owe each bucket. */
  async owed(keys: readonly string[]): Promise<number[]> {
    const now = Date.now();
    return Promise.all(keys.map((key) => this.redis.zcount(this.owedKey(key), now, '+inf')));
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

  private demandKey(key: string, priority: BudgetPriority): string {
    return `${this.prefix}:demand:${priority}:${key}`;
  }

  private owedKey(key: string): string {
    return `${this.prefix}:owed:${key}`;
  }
}
