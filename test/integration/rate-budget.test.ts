import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservedFor } from '../../src/core/rate-budget.js';
import { budgetWindowMs } from '../../src/queue/rate-budget.js';
import { BACKEND_KINDS, openTestBackend, type TestBackend } from '../support/backends.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// One contract, both homes of the budget: Redis and Postgres.
describe.each(BACKEND_KINDS)('the shared rate budget on %s', (kind) => {
  let t: TestBackend;
  beforeAll(async () => {
    t = await openTestBackend(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('shares one budget between workers and tells how long to wait', async () => {
    const a = t.budget();
    const b = t.budget();
    const channel = { key: 'discord:messages:c1', spec: { points: 5, windowMs: 5_000 } };
    const global = { key: 'discord:global', spec: { points: 50, windowMs: 1_000 } };
    const results: number[] = [];
    for (let i = 0; i < 8; i++) results.push(await (i % 2 ? a : b).tryTake([channel, global]));
    expect(results.filter((r) => r === 0)).toHaveLength(5);
    const waits = results.filter((r) => r > 0);
    expect(waits).toHaveLength(3);
    // The window (5 s and the clocks' margin), counted from the first point, less the time since.
    for (const w of waits) {
      expect(w).toBeGreaterThan(4_500);
      expect(w).toBeLessThanOrEqual(budgetWindowMs(channel.spec));
    }
    // A refused request took no point from the other buckets.
    const other = { key: 'discord:messages:c2', spec: channel.spec };
    for (let i = 0; i < 5; i++) expect(await a.tryTake([other, global])).toBe(0);
  });

  it('never lets any window of the bucket’s length hold more than its points, wherever it starts', async () => {
    const clients = [0, 1, 2].map(() => t.budget());
    const bucket = { key: 'discord:global-sliding', spec: { points: 10, windowMs: 300 } };
    const taken: number[] = [];
    // Several lengthened windows (the margin stretches each one).
    const until = Date.now() + 3 * budgetWindowMs(bucket.spec);
    // Three workers take as fast as they are allowed, for several windows.
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < until) {
          const wait = await client.tryTake([bucket]);
          if (wait === 0) taken.push(Date.now());
          else await sleep(Math.min(wait, 50));
        }
      }),
    );
    taken.sort((x, y) => x - y);
    expect(taken.length).toBeGreaterThan(20);
    // A platform window may open at any request: count from each one.
    for (let i = 0; i < taken.length; i++) {
      const inWindow = taken.filter((t) => t >= taken[i]! && t < taken[i]! + 300).length;
      expect(inWindow).toBeLessThanOrEqual(10);
    }
  });

  it('counts a settled point from when its call was answered', async () => {
    const budget = t.budget();
    const bucket = { key: 'discord:messages:settle', spec: { points: 2, windowMs: 1_000 } };
    expect(await budget.tryTake([bucket], 'first', 'call-a')).toBe(0);
    expect(await budget.tryTake([bucket], 'first', 'call-b')).toBe(0);
    await sleep(400);
    // Both calls were slow: answered 400 ms after their points were taken.
    await budget.settle([bucket], 'call-a');
    await budget.settle([bucket], 'call-b');
    // Counted from the answers, the window still has (almost) all of its length to run.
    expect(await budget.tryTake([bucket], 'first', 'call-c')).toBeGreaterThan(
      budgetWindowMs(bucket.spec) - 150,
    );
    // An unknown ticket changes nothing.
    await budget.settle([bucket], 'no-such-call');
  });

  it('counts the point of a call still under way until it is settled, however long it takes', async () => {
    const budget = t.budget();
    const bucket = { key: 'discord:messages:flight', spec: { points: 1, windowMs: 200 } };
    expect(await budget.tryTake([bucket], 'first', 'slow-call')).toBe(0);
    // Two windows later the call has not been answered: it may not have reached the platform yet.
    await sleep(2 * budgetWindowMs(bucket.spec));
    expect(await budget.tryTake([bucket], 'first')).toBeGreaterThan(0);
    expect(await budget.wouldWait(bucket)).toBeGreaterThan(0);
    await budget.settle([bucket], 'slow-call');
    // Answered now: a window from the answer.
    expect(await budget.tryTake([bucket], 'first')).toBeGreaterThan(100);
    await sleep(budgetWindowMs(bucket.spec) + 20);
    expect(await budget.tryTake([bucket], 'first')).toBe(0);
  });

  it('frees the point of a call never settled (its worker died) after the flight hold', async () => {
    const budget = t.budget({ flightHoldMs: 300 });
    const bucket = { key: 'discord:messages:died', spec: { points: 1, windowMs: 200 } };
    expect(await budget.tryTake([bucket], 'first', 'lost-call')).toBe(0);
    await sleep(budgetWindowMs(bucket.spec) + 20);
    expect(await budget.tryTake([bucket], 'first')).toBeGreaterThan(0);
    await sleep(300 + 20);
    expect(await budget.tryTake([bucket], 'first')).toBe(0);
  });

  it('lines up first messages that wait: each comes back when its own point frees, in order', async () => {
    const budget = t.budget();
    const bucket = { key: 'discord:global-line', spec: { points: 2, windowMs: 600 } };
    const window = budgetWindowMs(bucket.spec);
    expect(await budget.tryTake([bucket], 'first')).toBe(0);
    await sleep(100);
    expect(await budget.tryTake([bucket], 'first')).toBe(0);
    // Three first messages refused in turn: the next point to free, the one after, and the
    // first one again a window later (a point freed is taken by the one ahead).
    const a = await budget.tryTake([bucket], 'first', 'wait-a');
    const b = await budget.tryTake([bucket], 'first', 'wait-b');
    const c = await budget.tryTake([bucket], 'first', 'wait-c');
    expect(a).toBeGreaterThan(window - 250);
    expect(a).toBeLessThanOrEqual(window - 90);
    expect(b - a).toBeGreaterThan(50);
    expect(b - a).toBeLessThan(150);
    expect(c - a).toBeGreaterThan(window - 50);
    // Asking again keeps one's place: b is still second in line, not behind c.
    const again = await budget.tryTake([bucket], 'first', 'wait-b');
    expect(again).toBeLessThan(c);
    // Coming back when told, the first in line gets its point.
    await sleep(a + 10);
    expect(await budget.tryTake([bucket], 'first', 'wait-a')).toBe(0);
  });

  it('keeps windows shorter than a second exact', async () => {
    const budget = t.budget();
    const reactions = { key: 'discord:reactions:c1', spec: { points: 1, windowMs: 250 } };
    expect(await budget.tryTake([reactions], 'first')).toBe(0);
    const wait = await budget.tryTake([reactions], 'first');
    expect(wait).toBeGreaterThan(200);
    expect(wait).toBeLessThanOrEqual(budgetWindowMs(reactions.spec));
    await sleep(wait + 20);
    expect(await budget.tryTake([reactions], 'first')).toBe(0);
  });

  it('keeps points back for higher priorities, across clients, and never exceeds a bucket', async () => {
    const clients = [0, 1, 2].map(() => t.budget());
    const bucket = { key: 'discord:messages:c9', spec: { points: 20, windowMs: 2_000 } };
    // Many updates at once from three workers: they stop at what they may use.
    const updates = await Promise.all(
      Array.from({ length: 30 }, (_, i) => clients[i % 3]!.tryTake([bucket], 'update')),
    );
    const taken = updates.filter((w) => w === 0).length;
    expect(taken).toBe(20 - reservedFor('update', 20));
    // A final render still gets through, then first messages take the very last points.
    expect(await clients[0]!.tryTake([bucket], 'final')).toBe(0);
    const firsts = await Promise.all(
      Array.from({ length: 5 }, (_, i) => clients[i % 3]!.tryTake([bucket], 'first')),
    );
    expect(taken + 1 + firsts.filter((w) => w === 0).length).toBe(20);
    expect(firsts.filter((w) => w > 0).length).toBeGreaterThan(0);
  });

  it('makes updates stand back while a first message waits for the same bucket', async () => {
    const budget = t.budget();
    const bucket = { key: 'discord:messages:c20', spec: { points: 5, windowMs: 1_000 } };
    for (let i = 0; i < 5; i++) expect(await budget.tryTake([bucket], 'first')).toBe(0);
    // A first message finds the bucket empty and waits; an update then yields to it.
    const firstWait = await budget.tryTake([bucket], 'first');
    expect(firstWait).toBeGreaterThan(0);
    await sleep(firstWait + 20);
    expect(await budget.tryTake([bucket], 'update')).toBeGreaterThan(0);
    expect(await budget.tryTake([bucket], 'first')).toBe(0);
  });

  it('keeps the points that visible answers owe their final renders away from updates', async () => {
    const budget = t.budget();
    const bucket = { key: 'discord:global-owed', spec: { points: 10, windowMs: 2_000 } };
    for (const id of ['a', 'b', 'c', 'd']) await budget.owe([bucket], id, true);
    let updates = 0;
    for (let i = 0; i < 10; i++) if ((await budget.tryTake([bucket], 'update')) === 0) updates++;
    // Ten points, two kept from updates, four owed: four updates, and room for every final.
    expect(updates).toBe(10 - reservedFor('update', 10) - 4);
    for (let i = 0; i < 4; i++) expect(await budget.tryTake([bucket], 'final')).toBe(0);
    // With more owed than there are points, updates wait rather than fail.
    for (const id of Array.from({ length: 20 }, (_, i) => `x${i}`))
      await budget.owe([bucket], id, true);
    expect(await budget.tryTake([bucket], 'update')).toBeGreaterThan(0);
    // Paid: nothing is owed any more.
    for (const id of ['a', 'b', 'c', 'd', ...Array.from({ length: 20 }, (_, i) => `x${i}`)])
      await budget.owe([bucket], id, false);
    // Once the window has passed, updates have every point but their reserve again.
    await sleep(budgetWindowMs(bucket.spec) + 20);
    updates = 0;
    for (let i = 0; i < 10; i++) if ((await budget.tryTake([bucket], 'update')) === 0) updates++;
    expect(updates).toBe(10 - reservedFor('update', 10));
  });

  it('says how long a bucket would make a take wait, taking nothing', async () => {
    const [a, b] = [t.budget(), t.budget()];
    const bucket = { key: 'flood:user:peek', spec: { points: 2, windowMs: 1_000 } };
    const other = { key: 'flood:channel:peek', spec: { points: 5, windowMs: 1_000 } };
    expect(await a.wouldWait!(bucket)).toBe(0);
    // Asking takes nothing: both points are still there.
    expect(await b.tryTake([bucket])).toBe(0);
    expect(await a.wouldWait!(bucket)).toBe(0);
    expect(await b.tryTake([bucket, other])).toBe(0);
    // Full: the same wait a take would be told, and still nothing taken from the other.
    const wait = await a.wouldWait!(bucket);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(budgetWindowMs(bucket.spec));
    const refused = await b.tryTake([bucket, other]);
    expect(Math.abs(refused - wait)).toBeLessThan(50);
    expect(await a.wouldWait!(other)).toBe(0);
    // Once the first point's window has passed, there is room again.
    await sleep(wait + 20);
    expect(await a.wouldWait!(bucket)).toBe(0);
  });
});
