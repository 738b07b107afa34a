import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/core/chat-job.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { usage } from '../../src/db/schema.js';
import { PgUsageStore } from '../../src/db/usage-store.js';
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
  });
});
