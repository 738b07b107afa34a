/**
 * A stopped job neither waits for a budget point nor spends one: `take` and
 * `spend` end as soon as their signal aborts, with its reason, and take
 * nothing after.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  spend,
  take,
  type BudgetBucket,
  type BudgetPriority,
  type RateBudget,
} from '../../src/core/rate-budget.js';

const BUCKETS: readonly BudgetBucket[] = [
  { key: 'discord:edit:c1', spec: { points: 5, windowMs: 5_000 } },
];
const STOPPED = 'the job lock was lost: another worker may continue it';

/** A budget that is full until `freeAt` (fake time), and records every point it gives. */
class FullBudget implements RateBudget {
  asked = 0;
  readonly taken: string[] = [];
  constructor(private readonly freeAt: number) {}

  tryTake(
    _buckets: readonly BudgetBucket[],
    _priority?: BudgetPriority,
    ticket = 'ticket',
  ): Promise<number> {
    this.asked++;
    const wait = this.freeAt - Date.now();
    if (wait > 0) return Promise.resolve(wait);
    this.taken.push(ticket);
    return Promise.resolve(0);
  }
}

/** A sleep that knows nothing of signals: take must not wait for it. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('take with a signal', () => {
  it('stops waiting at once when the signal aborts, and takes nothing', async () => {
    const budget = new FullBudget(10_000);
    const stop = new AbortController();
    const taking = take(budget, BUCKETS, sleep, 'update', undefined, stop.signal);
    const outcome = taking.catch((reason: unknown) => ({ rejected: reason }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(budget.asked).toBe(1);

    stop.abort(STOPPED);
    // No time passes: the wait ends with the abort, not with the sleep.
    await expect(outcome).resolves.toEqual({ rejected: STOPPED });
    expect(Date.now()).toBe(1_000);

    await vi.advanceTimersByTimeAsync(20_000);
    expect(budget.asked).toBe(1);
    expect(budget.taken).toEqual([]);
  });

  it('does not ask the budget once the signal has aborted', async () => {
    const budget = new FullBudget(0);
    const stop = new AbortController();
    stop.abort(STOPPED);
    await expect(take(budget, BUCKETS, sleep, 'first', undefined, stop.signal)).rejects.toBe(
      STOPPED,
    );
    expect(budget.asked).toBe(0);
  });

  it('waits and takes as before while the signal has not aborted', async () => {
    const budget = new FullBudget(3_000);
    const taking = take(budget, BUCKETS, sleep, 'final', 't1', new AbortController().signal);
    await vi.advanceTimersByTimeAsync(3_000);
    await taking;
    expect(budget.taken).toEqual(['t1']);
  });
});

describe('spend with a signal', () => {
  it('does not make the call when the signal aborts while it waits', async () => {
    const budget = new FullBudget(10_000);
    const stop = new AbortController();
    const call = vi.fn(() => Promise.resolve('sent'));
    const spending = spend(budget, BUCKETS, sleep, 'update', call, stop.signal);
    const outcome = spending.catch((reason: unknown) => ({ rejected: reason }));
    await vi.advanceTimersByTimeAsync(500);

    stop.abort(STOPPED);
    await expect(outcome).resolves.toEqual({ rejected: STOPPED });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(call).not.toHaveBeenCalled();
    expect(budget.taken).toEqual([]);
  });

  it('does not make the call when the signal aborts while the point is being taken', async () => {
    const stop = new AbortController();
    const budget = new FullBudget(0);
    const tryTake = budget.tryTake.bind(budget);
    // The abort lands while the take is on its way to the store.
    budget.tryTake = (...args) => {
      stop.abort(STOPPED);
      return tryTake(...args);
    };
    const call = vi.fn(() => Promise.resolve('sent'));
    await expect(spend(budget, BUCKETS, sleep, 'final', call, stop.signal)).rejects.toBe(STOPPED);
    expect(call).not.toHaveBeenCalled();
  });

  it('makes the call once it has a point', async () => {
    const budget = new FullBudget(2_000);
    const spending = spend(
      budget,
      BUCKETS,
      sleep,
      'final',
      () => Promise.resolve('sent'),
      new AbortController().signal,
    );
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(spending).resolves.toBe('sent');
    expect(budget.taken).toHaveLength(1);
  });
});
