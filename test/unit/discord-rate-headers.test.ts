import { describe, expect, it } from 'vitest';
import { budgetBuckets } from '../../src/core/budget-buckets.js';
import type { SurfaceLimits, SurfaceOp } from '../../src/core/surface.js';
import {
  observe,
  TRANSIT_MARGIN_MS,
  withLearned,
} from '../../src/platforms/discord/rate-headers.js';
import { DISCORD_LIMITS } from '../../src/platforms/discord/surface.js';
import type { LearnedRule } from '../../src/platforms/platform.js';

const headers = (values: Record<string, string>) => new Headers(values);

describe("Discord's rate-limit headers", () => {
  it('reads the bucket, its size and, from a window’s first request, its length', () => {
    const first = observe(
      'post',
      '/channels/:id/messages',
      headers({
        'x-ratelimit-bucket': 'abc',
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '4',
        'x-ratelimit-reset-after': '4.987',
      }),
    );
    expect(first).toEqual({ op: 'post', rule: { bucket: 'abc', points: 5, windowMs: 5_000 } });
    const later = observe(
      'PATCH',
      '/channels/:id/messages/:id',
      headers({
        'x-ratelimit-bucket': 'abc',
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '2',
        'x-ratelimit-reset-after': '1.2',
      }),
    );
    expect(later).toEqual({ op: 'edit', rule: { bucket: 'abc', points: 5 } });
    const thread = observe(
      'POST',
      '/channels/:id/messages/:id/threads',
      headers({
        'x-ratelimit-bucket': 'thr',
        'x-ratelimit-limit': '2',
        'x-ratelimit-remaining': '1',
        'x-ratelimit-reset-after': '9.95',
      }),
    );
    expect(thread).toEqual({ op: 'thread', rule: { bucket: 'thr', points: 2, windowMs: 10_000 } });
  });

  it('says nothing for routes it does not budget or answers without headers', () => {
    const h = headers({ 'x-ratelimit-bucket': 'x', 'x-ratelimit-limit': '5' });
    expect(observe('GET', '/channels/:id/messages', h)).toBeUndefined();
    expect(observe('POST', '/channels/:id/messages', headers({}))).toBeUndefined();
  });
});

describe('limits with what was learned', () => {
  const keyOf = (limits: SurfaceLimits, op: SurfaceOp) =>
    budgetBuckets({ platform: 'discord', limits }, op, { channelId: 'c1', tenantId: 'g' })[0]!;

  it('keeps posts and edits on one budget key while Discord names one bucket for them', () => {
    const learned = new Map<SurfaceOp, LearnedRule>([
      ['post', { bucket: 'abc', points: 5, windowMs: 4_000 }],
      ['edit', { bucket: 'abc', points: 5 }],
    ]);
    const limits = withLearned(DISCORD_LIMITS, learned);
    expect(keyOf(limits, 'post').key).toBe(keyOf(DISCORD_LIMITS, 'post').key);
    expect(keyOf(limits, 'edit').key).toBe(keyOf(limits, 'post').key);
    // The window Discord said, and the margin for requests that arrive out of step.
    const windowMs = 4_000 + TRANSIT_MARGIN_MS;
    expect(keyOf(limits, 'post').spec).toMatchObject({ points: 5, windowMs });
    // One bucket has one window, whichever operation saw it.
    expect(keyOf(limits, 'edit').spec).toMatchObject({ points: 5, windowMs });
    // The bot-wide limit is untouched.
    expect(limits.rates.post!.find((r) => r.scope === 'bot')).toEqual(
      DISCORD_LIMITS.rates.post.find((r) => r.scope === 'bot'),
    );
  });

  it('gives operations Discord names apart budgets of their own, of the sizes it says', () => {
    const learned = new Map<SurfaceOp, LearnedRule>([
      ['post', { bucket: 'p', points: 5, windowMs: 5_000 }],
      ['edit', { bucket: 'e', points: 10, windowMs: 10_000 }],
    ]);
    const limits = withLearned(DISCORD_LIMITS, learned);
    expect(keyOf(limits, 'post').key).not.toBe(keyOf(limits, 'edit').key);
    expect(keyOf(limits, 'edit').spec).toMatchObject({
      points: 10,
      windowMs: 10_000 + TRANSIT_MARGIN_MS,
    });
  });
});
