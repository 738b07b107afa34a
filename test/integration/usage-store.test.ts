import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleChatJob } from '../../src/core/chat-job.js';
import type { UsageRecord } from '../../src/core/ports.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { ChatJob } from '../../src/core/jobs.js';
import { Quotas } from '../../src/core/quota.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { usage } from '../../src/db/schema.js';
import { PgSettingsStore } from '../../src/db/settings-store.js';
import { PgUsageStore } from '../../src/db/usage-store.js';
import { chatDeps, TEST_DEFAULTS } from '../support/chat-deps.js';
import { MemorySurface, unlimited, WindowBudget } from '../support/memory-surface.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const NOW = new Date('2026-03-10T20:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000);

let n = 0;
function row(partial: Partial<UsageRecord>, at: Date) {
  n += 1;
  return {
    jobId: `job-${n}`,
    kind: 'chat' as const,
    platform: 'discord',
    tenantId: 'g1',
    userId: 'u-ann',
    userName: 'Ann',
    model: 'model-a',
    promptTokens: 10,
    completionTokens: 5,
    durationMs: 100,
    outcome: 'ok',
    ...partial,
    createdAt: at,
  };
}

describe('PgUsageStore.paymentRefusals', () => {
  it("counts a tenant's refusals for lack of balance in 30 days, and when the last was", async () => {
    await database.db.insert(usage).values([
      row({ tenantId: 'pay', outcome: 'no_balance' }, hoursAgo(5)),
      row({ tenantId: 'pay', outcome: 'no_balance', kind: 'image' }, hoursAgo(2)),
      // Older than 30 days, another outcome, another tenant: not counted.
      row({ tenantId: 'pay', outcome: 'no_balance' }, hoursAgo(31 * 24)),
      row({ tenantId: 'pay', outcome: 'overloaded' }, hoursAgo(1)),
      row({ tenantId: 'other', outcome: 'no_balance' }, hoursAgo(1)),
    ]);
    const store = new PgUsageStore(database.db);
    expect(await store.paymentRefusals('discord', 'pay', NOW)).toEqual({
      count: 2,
      lastAt: hoursAgo(2),
    });
    expect(await store.paymentRefusals('discord', 'nobody', NOW)).toBeUndefined();
  });
});

describe('PgUsageStore', () => {
  it('groups a tenant’s last 30 days by window, kind, model and user', async () => {
    await database.db.insert(usage).values([
      row({ promptTokens: 100, completionTokens: 40 }, hoursAgo(2)),
      row({ promptTokens: 7, completionTokens: 3, userName: 'Annie' }, hoursAgo(1)),
      row({ promptTokens: 50, completionTokens: 10 }, hoursAgo(3 * 24)),
      row(
        { userId: 'u-bob', userName: 'Bob', model: 'model-b', tokensEstimated: true },
        hoursAgo(20 * 24),
      ),
      // A failed call: no answer, and its (estimated) tokens do not count.
      row({ outcome: 'overloaded', promptTokens: 999, tokensEstimated: true }, hoursAgo(1)),
      row({ kind: 'image', model: 'img', promptTokens: undefined }, hoursAgo(1)),
      row({ kind: 'image', model: 'img', outcome: 'too_large' }, hoursAgo(1)),
      row({ kind: 'image', model: 'img', outcome: 'unauthorized' }, hoursAgo(1)),
      // Too old, another tenant, another platform, and the future: none of them count.
      row({}, hoursAgo(31 * 24)),
      row({ tenantId: 'g2' }, hoursAgo(1)),
      row({ platform: 'slack' }, hoursAgo(1)),
      row({}, new Date(NOW.getTime() + 3600_000)),
    ]);
    const store = new PgUsageStore(database.db);
    const groups = await store.usageGroups('discord', 'g1', NOW);
    const sorted = [...groups].sort(
      (a, b) => a.window - b.window || a.model.localeCompare(b.model),
    );
    expect(sorted).toEqual([
      {
        window: 1,
        kind: 'image',
        model: 'img',
        userId: 'u-ann',
        userName: 'Ann',
        answers: 0,
        images: 2,
        promptTokens: 0,
        completionTokens: 0,
        estimated: false,
      },
      {
        window: 1,
        kind: 'chat',
        model: 'model-a',
        userId: 'u-ann',
        // The latest name wins.
        userName: 'Annie',
        answers: 2,
        promptTokens: 107,
        completionTokens: 43,
        images: 0,
        estimated: false,
      },
      {
        window: 7,
        kind: 'chat',
        model: 'model-a',
        userId: 'u-ann',
        userName: 'Ann',
        answers: 1,
        images: 0,
        promptTokens: 50,
        completionTokens: 10,
        estimated: false,
      },
      {
        window: 30,
        kind: 'chat',
        model: 'model-b',
        userId: 'u-bob',
        userName: 'Bob',
        answers: 1,
        images: 0,
        promptTokens: 10,
        completionTokens: 5,
        estimated: true,
      },
    ]);
  });

  it("counts a day's answered tokens and generated images, once per job however often it is written", async () => {
    const store = new PgUsageStore(database.db);
    const since = new Date('2026-03-10T00:00:00Z');
    expect(await store.usedSince('discord', 'g1', since)).toEqual({ tokens: 165, images: 2 });
    // A retried job writes its usage row again: unique per job id, nothing changes.
    const conversations = new PgConversationStore(database.db);
    const { createdAt: _, ...again } = row({ promptTokens: 1_000 }, hoursAgo(1));
    await conversations.recordUsage(again);
    await conversations.recordUsage({ ...again, promptTokens: 5_000 });
    expect(await store.usedSince('discord', 'g1', since)).toEqual({ tokens: 1_170, images: 2 });
    expect(await store.usedSince('discord', 'nobody', since)).toEqual({ tokens: 0, images: 0 });
    // One member's share: Bob's answer of today is not Ann's.
    const { createdAt: __, ...bobs } = row(
      { userId: 'u-bob', userName: 'Bob', promptTokens: 20, completionTokens: 10 },
      hoursAgo(1),
    );
    await conversations.recordUsage(bobs);
    expect(await store.usedSince('discord', 'g1', since)).toEqual({ tokens: 1_200, images: 2 });
    expect(await store.usedSince('discord', 'g1', since, 'u-bob')).toEqual({
      tokens: 30,
      images: 0,
    });
    expect(await store.usedSince('discord', 'g1', since, 'u-ann')).toEqual({
      tokens: 1_170,
      images: 2,
    });
    expect(await store.usedSince('discord', 'g1', since, 'u-nobody')).toEqual({
      tokens: 0,
      images: 0,
    });
  });
});

describe('a chat job’s usage row and quota, on Postgres', () => {
  const job: ChatJob = {
    v: 1,
    platform: 'discord',
    tenantId: 'quota-tenant',
    conversationKey: encodeConversationKey({ channelId: 'c-quota' }),
    channelId: 'c-quota',
    messageId: 'm1',
    author: { id: 'u-ann', name: 'Ann' },
    text: 'hello there',
    receivedAt: new Date().toISOString(),
  };
  const ctx = (jobId: string) => ({
    jobId,
    finalAttempt: true,
    progress: [],
    saveProgress: async () => undefined,
  });

  it('estimates tokens where the model sent no usage, then refuses past the quota without a call', async () => {
    const calls: string[] = [];
    // A model whose stream ends without a usage chunk.
    const model = {
      async *streamChat() {
        calls.push('call');
        yield { type: 'delta' as const, content: 'x'.repeat(40) };
        yield { type: 'finish' as const, reason: 'stop' };
      },
    };
    const surface = new MemorySurface(unlimited(2_000));
    const usageStore = new PgUsageStore(database.db);
    const deps = {
      ...chatDeps({ db: database.db, budget: new WindowBudget(), surface, model }),
      quotas: new Quotas(usageStore),
    };
    await handleChatJob(job, ctx('q1'), deps);
    const [row] = await database.db.select().from(usage).where(eq(usage.jobId, 'q1'));
    expect(row).toMatchObject({
      userName: 'Ann',
      completionTokens: 14,
      tokensEstimated: true,
      outcome: 'ok',
    });
    expect(row!.promptTokens).toBeGreaterThan(0);

    await new PgSettingsStore(database.db, TEST_DEFAULTS).apply(
      'discord',
      job.tenantId,
      { daily_token_limit: (row!.promptTokens ?? 0) + 14 },
      { id: 'u-admin', name: 'Admin', isAdmin: true },
    );
    await handleChatJob({ ...job, messageId: 'm2' }, ctx('q2'), deps);
    expect(calls).toEqual(['call']);
    const shown = [...surface.contents.values()].at(-1);
    expect(shown).toMatch(/^⏳ This server or workspace has used its daily limit of \d+ tokens;/);
    // The refusal stores nothing: no exchange, no usage row.
    expect(await database.db.select().from(usage).where(eq(usage.jobId, 'q2'))).toEqual([]);
  });
});
