import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimiterBudget } from '../../src/queue/rate-budget.js';
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
});
