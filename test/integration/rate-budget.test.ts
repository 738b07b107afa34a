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
    // Stretched window: at least the platform's 5 s, never more than about 6 s.
    for (const w of waits) {
      expect(w).toBeGreaterThan(4_000);
      expect(w).toBeLessThanOrEqual(6_000);
    }
    // A refused request took no point from the other buckets.
    const other = { key: 'discord:edit:c2', spec: channel.spec };
    expect(await a.tryTake([other, global])).toBe(0);
  });
});
