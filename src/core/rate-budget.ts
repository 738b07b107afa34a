import { randomUUID } from 'node:crypto';
import { abortable } from './abortable.js';
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

/** The points of a bucket that a priority may use: its size, less what it leaves higher ones. */
export function usablePoints(priority: BudgetPriority, bucket: BudgetBucket): number {
  return bucket.spec.points - reservedFor(priority, bucket.spec.points, bucket.scope);
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
   * milliseconds to wait before asking again. A `ticket` names the point, for
   * settle(): a take with one is a call that will be settled, and its point
   * counts as in flight, beyond its window, until then.
   */
  tryTake(
    buckets: readonly BudgetBucket[],
    priority?: BudgetPriority,
    ticket?: string,
  ): Promise<number>;
  /**
   * How long until `bucket` has a point for a first-priority take, taking
   * nothing: 0 when it has one now. Says which bucket of a refused take (all
   * or nothing) is the full one.
   */
  wouldWait?(bucket: BudgetBucket): Promise<number>;
  /**
   * The call a point was taken for has been answered: the point counts from
   * now. A platform counts its window from when a request arrives, which is
   * after the point was taken and no later than its answer, so a window
   * counted from the answer never holds one request too many, however long
   * the request took to leave.
   */
  settle?(buckets: readonly BudgetBucket[], ticket: string): Promise<void>;
  /**
   * Records that answer `id` (now visible) owes these buckets one final
   * render, or with `owing` false that it paid: updates leave those points.
   */
  owe?(buckets: readonly BudgetBucket[], id: string, owing: boolean): Promise<void>;
}

/**
 * Waits until every bucket has a point, then takes it. A `signal` that
 * aborts ends the wait at once with its reason, and nothing more is taken: a
 * stopped job neither waits for a point nor makes the call it was for. (A
 * point whose take was already on its way when the signal aborted is left
 * unused: the budget stays on the safe side.)
 */
export async function take(
  budget: RateBudget,
  buckets: readonly BudgetBucket[],
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  priority: BudgetPriority = 'final',
  ticket?: string,
  signal?: AbortSignal,
): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const waitMs = await budget.tryTake(buckets, priority, ticket);
    signal?.throwIfAborted();
    if (waitMs <= 0) return;
    await abortable(sleep(waitMs, signal), signal);
  }
}

/**
 * Waits for a point, makes the call, and settles the point when the call is
 * answered (or failed: it may have reached the platform all the same). After
 * `signal` aborts, it neither waits nor calls: it throws the signal's reason.
 */
export async function spend<T>(
  budget: RateBudget,
  buckets: readonly BudgetBucket[],
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  priority: BudgetPriority,
  call: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const ticket = newTicket();
  await take(budget, buckets, sleep, priority, ticket, signal);
  try {
    return await call();
  } finally {
    await settle(budget, buckets, ticket);
  }
}

export function newTicket(): string {
  return randomUUID();
}

/** Settles a point; a budget that cannot is left as it was (the call went through). */
export async function settle(
  budget: RateBudget,
  buckets: readonly BudgetBucket[],
  ticket: string,
): Promise<void> {
  await budget.settle?.(buckets, ticket).catch(() => undefined);
}
