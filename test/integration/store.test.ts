import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeConversationKey, encodeConversationKey } from '../../src/core/conversation-key.js';
import type { ChatJob } from '../../src/core/jobs.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { PgSettingsStore } from '../../src/db/settings-store.js';
import { tenantSettings, usage } from '../../src/db/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/** A key as stored (`<channel>` or `<channel>/<thread>`), through the one codec. */
const key = (stored: string) => encodeConversationKey(decodeConversationKey(stored));

const job = (n: number, conversationKey = 'c1'): ChatJob => ({
  v: 1,
  platform: 'discord',
  tenantId: 'g1',
  conversationKey: key(conversationKey),
  channelId: decodeConversationKey(conversationKey).channelId,
  messageId: `m${n}`,
  author: { id: 'u1', name: 'Ann' },
  text: `question ${n}`,
  receivedAt: new Date().toISOString(),
});

const usageFor = (jobId: string) => ({
  jobId,
  kind: 'chat' as const,
  platform: 'discord',
  tenantId: 'g1',
  userId: 'u1',
  model: 'm',
  promptTokens: 5,
  completionTokens: 2,
  durationMs: 10,
  outcome: 'ok',
});

describe('PgConversationStore', () => {
  it('stores exchanges once, in order, per conversation, and forgets them for real', async () => {
    const store = new PgConversationStore(database.db);
    for (const n of [1, 2, 3])
      await store.saveExchange(job(n), `j${n}`, `answer ${n}`, usageFor(`j${n}`));
    // A retried job writes nothing twice, and learns which answer stands.
    expect(await store.saveExchange(job(2), 'j2', 'answer 2 again', usageFor('j2'))).toBe(
      'answer 2',
    );
    await store.saveExchange(job(9, 'other'), 'j9', 'elsewhere', usageFor('j9'));

    const history = await store.history('discord', 'c1', 100);
    expect(history.map((m) => m.content)).toEqual([
      'question 1',
      'answer 1',
      'question 2',
      'answer 2',
      'question 3',
      'answer 3',
    ]);
    expect(history[0]).toMatchObject({ role: 'user', authorName: 'Ann' });
    expect((await store.history('discord', 'c1', 2)).map((m) => m.content)).toEqual([
      'question 3',
      'answer 3',
    ]);
    expect(await store.storedAnswer('j2')).toBe('answer 2');
    expect(await store.storedAnswer('nope')).toBeUndefined();
    expect(await database.db.select().from(usage)).toHaveLength(4);

    expect(await store.forget('discord', key('c1'))).toBe(6);
    expect(await store.history('discord', 'c1', 100)).toEqual([]);
    expect(await store.history('discord', 'other', 100)).toHaveLength(2);
    const { rows } = await database.pool.query(
      "SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_key = 'c1'",
    );
    expect(rows[0].n).toBe(0);
  });

  it("forgets a channel's nested conversations (its threads), and nothing that merely looks alike", async () => {
    const store = new PgConversationStore(database.db);
    const keys = ['C1', 'C1/1700.1', 'C1/1700.2', 'C10/1700.1', 'C_1/x', 'C%/y'];
    for (const [n, key] of keys.entries())
      await store.saveExchange(job(n, key), `n${n}`, `answer ${n}`, usageFor(`n${n}`));
    expect(await store.forget('discord', key('C1'))).toBe(6);
    for (const key of ['C1', 'C1/1700.1', 'C1/1700.2'])
      expect(await store.history('discord', key, 10)).toEqual([]);
    for (const key of ['C10/1700.1', 'C_1/x', 'C%/y'])
      expect(await store.history('discord', key, 10)).toHaveLength(2);
    // LIKE wildcards in the key itself are taken literally.
    expect(await store.forget('discord', key('C_'))).toBe(0);
    expect(await store.forget('discord', key('C%'))).toBe(2);
    expect(await store.history('discord', 'C_1/x', 10)).toHaveLength(2);
  });
});

describe('PgSettingsStore', () => {
  it('gives the defaults until a tenant stores values, and merges what it stored', async () => {
    const defaults = {
      model: 'd-model',
      imageModel: 'd-img',
      temperature: 0.7,
      maxTokens: 100,
      systemPrompt: 'S',
    };
    const settings = new PgSettingsStore(database.db, defaults);
    const before = await settings.get('discord', 'g1');
    expect(before).toMatchObject({
      model: 'd-model',
      sampling: { temperature: 0.7, max_tokens: 100 },
    });
    expect(before.sampling.top_p).toBeUndefined();
    await database.db.insert(tenantSettings).values({
      platform: 'discord',
      tenantId: 'g1',
      model: 'chosen',
      temperature: 0.2,
      topP: 0.9,
      extra: { top_k: 40 },
    });
    const after = await settings.get('discord', 'g1');
    expect(after).toMatchObject({
      model: 'chosen',
      systemPrompt: 'S',
      sampling: { temperature: 0.2, top_p: 0.9, top_k: 40, max_tokens: 100 },
    });
    expect((await settings.get('discord', 'g2')).model).toBe('d-model');
  });
});
