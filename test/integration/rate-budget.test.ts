import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservedFor } from '../../src/core/rate-budget.js';
import { LimiterBudget, windowed } from '../../src/queue/rate-budget.js';
import { connectRedis, deletePrefix, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('budget');
beforeAll(() => {
  redis = connectRedis();
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  await redis.quit();
});

describe('LimiterBudget on Redis', () => {
  it('shares one budget between workers and tells how long to wait', async () => {
    const a = LimiterBudget.redis(redis, prefix);
    const b = LimiterBudget.redis(redis, prefix);
    const channel = { key: 'discord:edit:c1', spec: { points: 5, windowMs: 5_000 } };
    const global = { key: 'discord:global', spec: { points: 50, windowMs: 1_000 } };
    const results: number[] = [];
    for (let i = 0; i < 8; i++) results.push(await (i % 2 ? a : b).tryTake([channel, global]));
    expect(results.filter((r) => r === 0)).toHaveLength(5);
    const waits = results.filter((r) => r > 0);
    expect(waits).toHaveLength(3);
    // The stretched window: the platform's 5 s × 1.1 + 250 ms, to the millisecond.
    for (const w of waits) {
      expect(w).toBeGreaterThan(5_600);
      expect(w).toBeLessThanOrEqual(5_750);
    }
    // A refused request took no point from the other buckets.
    const other = { key: 'discord:edit:c2', spec: channel.spec };
    expect(await a.tryTake([other, global])).toBe(0);
  });

  it('keeps sub-second windows: 50 per second stays 50 per 1.35 s, not 50 per 2 s', async () => {
    const budget = LimiterBudget.redis(redis, prefix);
    const global = { key: 'discord:global-2', spec: { points: 50, windowMs: 1_000 } };
    for (let i = 0; i < 50; i++) expect(await budget.tryTake([global])).toBe(0);
    const wait = await budget.tryTake([global]);
    expect(wait).toBeGreaterThan(1_200);
    expect(wait).toBeLessThanOrEqual(1_350);
    await new Promise((resolve) => setTimeout(resolve, wait + 20));
    expect(await budget.tryTake([global])).toBe(0);
  });

  it('keeps points back for higher priorities, across clients, and never exceeds a bucket', async () => {
    const clients = [0, 1, 2].map(() => LimiterBudget.redis(redis, prefix));
    const bucket = { key: 'discord:messages:c9', spec: { points: 20, windowMs: 2_000 } };
    // Many updates at once from three workers: they stop at what they may use.
    const updates = await Promise.all(
      Array.from({ length: 30 }, (_, i) => clients[i % 3]!.tryTake([bucket], 'update')),
    );
    const taken = updates.filter((w) => w === 0).length;
    expect(taken).toBe(20 - reservedFor('update', 20));
    // A final render still gets through, then a first message takes the very last point.
    const finals = await Promise.all([clients[0]!.tryTake([bucket], 'final')]);
    expect(finals).toEqual([0]);
    const firsts = await Promise.all(
      Array.from({ length: 5 }, (_, i) => clients[i % 3]!.tryTake([bucket], 'first')),
    );
    expect(taken + 1 + firsts.filter((w) => w === 0).length).toBe(20);
    expect(firsts.filter((w) => w > 0).length).toBeGreaterThan(0);
  });

  it('expires windows shorter than a second too, counting them per second', async () => {
    const budget = LimiterBudget.redis(redis, prefix);
    const reactions = { key: 'discord:reactions:c1', spec: { points: 1, windowMs: 250 } };
    expect(windowed(reactions.spec)).toEqual({ points: 1, durationMs: 1_000 });
    expect(await budget.tryTake([reactions], 'update')).toBe(0);
    const wait = await budget.tryTake([reactions], 'update');
    expect(wait).toBeGreaterThan(900);
    expect(wait).toBeLessThanOrEqual(1_000);
    await new Promise((resolve) => setTimeout(resolve, wait + 20));
    expect(await budget.tryTake([reactions], 'update')).toBe(0);
    expect(windowed({ points: 10, windowMs: 100 })).toEqual({ points: 10, durationMs: 1_000 });
  });

  it('makes updates stand back while a first message waits for the same bucket', async () => {
    const budget = LimiterBudget.redis(redis, prefix);
    const bucket = { key: 'discord:messages:c20', spec: { points: 5, windowMs: 1_000 } };
    for (let i = 0; i < 5; i++) expect(await budget.tryTake([bucket], 'first')).toBe(0);
    // A first message finds the bucket empty and waits; an update then yields to it.
    const firstWait = await budget.tryTake([bucket], 'first');
    expect(firstWait).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, firstWait + 20));
    expect(await budget.tryTake([bucket], 'update')).toBeGreaterThan(0);
    expect(await budget.tryTake([bucket], 'first')).toBe(0);
  });

  it('keeps the points that visible answers owe their final renders away from updates', async () => {
    const budget = LimiterBudget.redis(redis, prefix);
    const bucket = { key: 'discord:global-owed', spec: { points: 10, windowMs: 2_000 } };
    for (const id of ['a', 'b', 'c', 'd']) await budget.owe([bucket], id, true);
    let updates = 0;
    for (let i = 0; i < 10; i++) if ((await budget.tryTake([bucket], 'update')) === 0) updates++;
    // Ten points, two kept from updates, four owed: four updates, and room for every final.
    expect(updates).toBe(10 - reservedFor('update', 10) - 4);
    for (let i = 0; i < 4; i++) expect(await budget.tryTake([bucket], 'final')).toBe(0);
    // Paid: nothing is owed any more.
    for (const id of ['a', 'b', 'c', 'd']) await budget.owe([bucket], id, false);
    expect(await redis.zcard(`${prefix}:rate:owed:${bucket.key}`)).toBe(0);
  });
});
