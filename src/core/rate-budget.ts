import type { RateScope, RateSpec } from './surface.js';

/** One bucket to draw from: a key shared by every worker, and its size. */
export interface BudgetBucket {
  readonly key: string;
  readonly spec: RateSpec;
  /** Whom the bucket serves: `bot` buckets are shared by every answer in every channel. */
  readonly scope?: RateScope;
}

/**
 * What a call is for, highest first. Under a burst the budget goes to what
 * people notice most: the first sign of an answer (`first`: a placeholder, a
 * stream's start), then a finished answer's final text (`final`), and only
 * what is left to the updates of answers already visible (`update`).
 */
export type BudgetPriority = 'first' | 'final' | 'update';

/**
 * How many points of a bucket a priority must leave for the ones above it.
 * Updates leave half of a bot-wide bucket (every answer's first message and
 * final render, in every channel, draw on it) and a fifth of any other of
 * four or more. Final renders leave a few points only of the large buckets
 * that first messages also draw on; in a small one they would only keep a
 * stream from being closed in its window.
 */
export function reservedFor(priority: BudgetPriority, points: number, scope?: RateScope): number {
  if (priority === 'update') {
    if (scope === 'bot') return Math.ceil(points * 0.5);
    return points >= 4 ? Math.ceil(points * 0.2) : 0;
  }
  if (priority === 'final') return points >= 50 ? Math.ceil(points * 0.05) : 0;
  return 0;
}

/**
 * A request budget shared by every worker (Redis-backed in production), asked
 * before each platform call so that concurrent streams slow down instead of
 * earning 429s.
 */
export interface RateBudget {
  /**
   * Takes one point from every bucket if all have one left now, beyond what
   * the priority must leave for higher ones. Returns 0 when taken, or how many
   * milliseconds to wait before asking again.
   */
  tryTake(buckets: readonly BudgetBucket[], priority?: BudgetPriority): Promise<number>;
  /**
   * Records that answer `id` (now visible) owes these buckets one final
   * render, or with `owing` false that it paid: updates leave those points.
   */
  owe?(buckets: readonly BudgetBucket[], id: string, owing: boolean): Promise<void>;
}

/** Waits until every bucket has a point, then takes it. */
export async function take(
  budget: RateBudget,
  buckets: readonly BudgetBucket[],
  sleep: (ms: number) => Promise<void>,
  priority: BudgetPriority = 'final',
): Promise<void> {
  for (;;) {
    const waitMs = await budget.tryTake(buckets, priority);
    if (waitMs <= 0) return;
    await sleep(waitMs);
  }
}
