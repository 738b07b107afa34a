import type { RateSpec } from './surface.js';

/** One bucket to draw from: a key shared by every worker, and its size. */
export interface BudgetBucket {
  readonly key: string;
  readonly spec: RateSpec;
}

/**
 * A request budget shared by every worker (Redis-backed in production), asked
 * before each platform call so that concurrent streams slow down instead of
 * earning 429s.
 */
export interface RateBudget {
  /**
   * Takes one point from every bucket if all have one left now. Returns 0 when
   * taken, or how many milliseconds to wait before asking again.
   */
  tryTake(buckets: readonly BudgetBucket[]): Promise<number>;
}

/** Waits until every bucket has a point, then takes it. */
export async function take(
  budget: RateBudget,
  buckets: readonly BudgetBucket[],
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  for (;;) {
    const waitMs = await budget.tryTake(buckets);
    if (waitMs <= 0) return;
    await sleep(waitMs);
  }
}
