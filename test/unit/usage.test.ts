import { describe, expect, it } from 'vitest';
import {
  Quotas,
  quotaReachedText,
  quotaState,
  timeUntil,
  utcDayStart,
} from '../../src/core/quota.js';
import {
  answerTokens,
  estimatedPromptTokens,
  summarizeUsage,
  type UsageGroup,
} from '../../src/core/usage.js';
import { quotaLine, usageReportText } from '../../src/core/usage-text.js';

const NOW = new Date('2026-03-10T20:48:00Z');

function group(partial: Partial<UsageGroup>): UsageGroup {
  return {
    window: 1,
    kind: 'chat',
    model: 'model-a',
    userId: 'u-ann',
    userName: 'Ann',
    answers: 1,
    images: 0,
    promptTokens: 10,
    completionTokens: 5,
    estimated: false,
    ...partial,
  };
}

const GROUPS: UsageGroup[] = [
  group({ window: 1, answers: 2, promptTokens: 100, completionTokens: 40 }),
  group({ window: 7, answers: 1, promptTokens: 50, completionTokens: 10, userName: 'Ann old' }),
  group({
    window: 30,
    model: 'model-b',
    userId: 'u-bob',
    userName: 'Bob',
    answers: 3,
    promptTokens: 400,
    completionTokens: 200,
    estimated: true,
  }),
  group({
    window: 1,
    kind: 'image',
    model: 'image-model',
    userId: 'u-cy',
    userName: null,
    answers: 0,
    images: 2,
    promptTokens: 0,
    completionTokens: 0,
  }),
];

describe('summarizeUsage', () => {
  it('sums each window over the smaller ones', () => {
    const { windows } = summarizeUsage(GROUPS);
    expect(windows.map((w) => [w.days, w.totals.answers, w.totals.images])).toEqual([
      [1, 2, 2],
      [7, 3, 2],
      [30, 6, 2],
    ]);
    expect(windows.map((w) => w.totals.promptTokens)).toEqual([100, 150, 550]);
    expect(windows.map((w) => w.totals.completionTokens)).toEqual([40, 50, 250]);
    expect(windows.map((w) => w.totals.estimated)).toEqual([false, false, true]);
  });

  it('orders models and users by tokens, naming users by their latest name', () => {
    const report = summarizeUsage(GROUPS);
    expect(report.models.map((m) => m.model)).toEqual(['model-b', 'model-a', 'image-model']);
    // Cy made only images: not among the users by tokens.
    expect(
      report.users.map((u) => [u.name, u.totals.promptTokens + u.totals.completionTokens]),
    ).toEqual([
      ['Bob', 600],
      ['Ann', 200],
    ]);
  });

  it('names a user by id when no row kept a name, and keeps five at most', () => {
    const many = Array.from({ length: 7 }, (_, i) =>
      group({ userId: `u${i}`, userName: i === 0 ? null : `P${i}`, promptTokens: 100 - i }),
    );
    const { users } = summarizeUsage(many);
    expect(users).toHaveLength(5);
    expect(users[0]!.name).toBe('u0');
  });
});

describe('token counts', () => {
  it("takes the stream's usage when it sent one, else estimates marked as such", () => {
    const estimate = estimatedPromptTokens([
      { role: 'system', content: 'x'.repeat(40) },
      { role: 'user', content: 'y'.repeat(8) },
    ]);
    expect(estimate).toEqual({ promptTokens: 10 + 4 + 2 + 4, tokensEstimated: true });
    expect(answerTokens({ prompt: 31, completion: 7 }, estimate, 'whatever')).toEqual({
      promptTokens: 31,
      completionTokens: 7,
      tokensEstimated: false,
    });
    expect(answerTokens(undefined, estimate, 'z'.repeat(20))).toEqual({
      promptTokens: 20,
      completionTokens: 9,
      tokensEstimated: true,
    });
  });
});

describe('quotas', () => {
  const source = (tokens: number, images: number) => ({
    usedSince: async (_p: string, _t: string, since: Date) => {
      expect(since.toISOString()).toBe('2026-03-10T00:00:00.000Z');
      return { tokens, images };
    },
  });

  it('start at UTC midnight and reset at the next', async () => {
    expect(utcDayStart(NOW).toISOString()).toBe('2026-03-10T00:00:00.000Z');
    const state = await quotaState(source(10, 1), 'discord', 'g', { dailyTokens: 10 }, NOW);
    expect(state.resetsAt.toISOString()).toBe('2026-03-11T00:00:00.000Z');
    expect(timeUntil(state.resetsAt, NOW)).toBe('in 3 h 12 min');
    expect(timeUntil(new Date(NOW.getTime() + 2 * 3600_000), NOW)).toBe('in 2 h');
    expect(timeUntil(new Date(NOW.getTime() + 30_000), NOW)).toBe('in 1 min');
  });

  it('refuse past the limit in one sentence with the reset time, and count the refusal', async () => {
    const refused: string[] = [];
    const quotas = new Quotas(
      source(1_000, 3),
      { refused: (p, k) => refused.push(`${p}:${k}`) },
      () => NOW,
    );
    const limits = { quotas: { dailyTokens: 1_000, dailyImages: 5 } };
    const text = await quotas.refusal('chat', 'discord', 'g', limits);
    expect(text).toBe(
      '⏳ This server or workspace has used its daily limit of 1,000 tokens; it resets at 00:00 UTC (in 3 h 12 min).',
    );
    expect(text!.split(/[.!?](\s|$)/).filter((s) => s.trim()).length).toBe(1);
    expect(await quotas.refusal('image', 'discord', 'g', limits)).toBeUndefined();
    expect(await quotas.refusal('chat', 'discord', 'g', { quotas: {} })).toBeUndefined();
    expect(refused).toEqual(['discord:chat']);
    expect(
      quotaReachedText(
        'image',
        await quotaState(source(0, 5), 'd', 'g', { dailyImages: 5 }, NOW),
        NOW,
      ),
    ).toContain('daily limit of 5 images');
  });

  it('refuse a member past their own limit, while others may still ask', async () => {
    const used: Record<string, { tokens: number; images: number }> = {
      tenant: { tokens: 700, images: 1 },
      'u-ann': { tokens: 500, images: 1 },
      'u-bob': { tokens: 200, images: 0 },
    };
    const byMember = {
      usedSince: async (_p: string, _t: string, _since: Date, userId?: string) =>
        used[userId ?? 'tenant']!,
    };
    const quotas = new Quotas(byMember, undefined, () => NOW);
    const limits = { quotas: { dailyTokens: 10_000, memberTokens: 500, memberImages: 1 } };
    expect(await quotas.refusal('chat', 'discord', 'g', limits, 'u-ann')).toBe(
      '⏳ You have used your daily limit of 500 tokens; it resets at 00:00 UTC (in 3 h 12 min).',
    );
    expect(await quotas.refusal('chat', 'discord', 'g', limits, 'u-bob')).toBeUndefined();
    expect(await quotas.refusal('image', 'discord', 'g', limits, 'u-ann')).toContain(
      'daily limit of 1 image;',
    );
    expect(await quotas.refusal('image', 'discord', 'g', limits, 'u-bob')).toBeUndefined();
    // The line admins see names the per-member limits.
    const state = await quotaState(byMember, 'd', 'g', limits.quotas, NOW);
    expect(quotaLine(state, NOW)).toContain('each member at most 500 tokens and 1 image');
  });

  it('show where today stands', async () => {
    const state = await quotaState(source(1_234, 5), 'd', 'g', { dailyImages: 5 }, NOW);
    expect(quotaLine(state, NOW)).toBe(
      '**Quotas today**: 1,234 tokens (no limit) · 5 of 5 images (reached) · resets at 00:00 UTC (in 3 h 12 min)',
    );
  });
});

describe('usageReportText', () => {
  const quota = {
    tokens: { used: 140, limit: 100_000 },
    images: { used: 2 },
    resetsAt: new Date('2026-03-11T00:00:00Z'),
  };

  it('lists the windows, models and top users, marking estimates', () => {
    const text = usageReportText(summarizeUsage(GROUPS), quota, NOW);
    expect(text.split('\n')).toEqual([
      '**Usage**',
      '• **Last 24 h**: 2 answers, 100 prompt + 40 completion tokens, 2 images',
      '• **Last 7 days**: 3 answers, 150 prompt + 50 completion tokens, 2 images',
      '• **Last 30 days**: 6 answers, ~550 prompt + ~250 completion tokens, 2 images',
      '**By model** (30 days)',
      '• `model-b`: 3 answers, ~400 prompt + ~200 completion tokens',
      '• `model-a`: 3 answers, 150 prompt + 50 completion tokens',
      '• `image-model`: 2 images',
      '**Top users by tokens** (30 days)',
      '1. Bob: ~600 tokens (3 answers)',
      '2. Ann: 200 tokens (3 answers)',
      '**Quotas today**: 140 of 100,000 tokens · 2 images (no limit) · resets at 00:00 UTC (in 3 h 12 min)',
      '_~ includes estimates (about 4 characters a token) where the model sent no usage._',
    ]);
  });

  it('says so when there was nothing', () => {
    const text = usageReportText(summarizeUsage([]), quota, NOW);
    expect(text).toContain('Nothing in the last 30 days.');
    expect(text).not.toContain('estimates');
  });
});
