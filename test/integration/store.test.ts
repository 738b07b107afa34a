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

  describe("a shared channel's history, as each question sees it", () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    /** A question in shared channel `conv`, asked by `who`, arrived at `arrivedAt`. */
    const asked = (conv: string, who: string, n: number, arrivedAt: number): ChatJob => ({
      ...job(n, conv),
      messageId: `${conv}-m${n}`,
      author: { id: who, name: who },
      text: `${who} asks ${n}`,
      shared: true,
      arrivedAt,
    });
    const save = (store: PgConversationStore, question: ChatJob) =>
      store.saveExchange(
        question,
        question.messageId,
        `to ${question.text}`,
        usageFor(question.messageId),
      );
    /** Each exchange as its question's text. */
    const seen = async (
      store: PgConversationStore,
      conv: string,
      view: { arrivedAt: number; authorId: string },
    ) =>
      (await store.history('discord', conv, 100, view))
        .filter((m) => m.role === 'user')
        .map((m) => m.content);
    /** Now, a few ms after the last step, so that steps are told apart by time. */
    const tick = async () => {
      await sleep(5);
      const at = Date.now();
      await sleep(5);
      return at;
    };

    it("holds what was stored when it arrived and its author's own, in the order of the questions", async () => {
      const store = new PgConversationStore(database.db);
      const conv = 'shared-1';
      const beforeAll = await tick();
      await save(store, asked(conv, 'ann', 1, await tick()));
      const bobAsks = await tick();
      const carolAsks = await tick();
      // Carol's answer is stored before Bob's, though Bob asked first.
      await save(store, asked(conv, 'carol', 3, carolAsks));
      const betweenAnswers = await tick();
      await save(store, asked(conv, 'bob', 2, bobAsks));
      const afterAll = await tick();

      // Everything stored: in the order of the questions, not of the answers.
      expect(await seen(store, conv, { arrivedAt: afterAll, authorId: 'dave' })).toEqual([
        'ann asks 1',
        'bob asks 2',
        'carol asks 3',
      ]);
      // Arrived while Bob's answer was being written: Bob's is not there yet.
      expect(await seen(store, conv, { arrivedAt: betweenAnswers, authorId: 'dave' })).toEqual([
        'ann asks 1',
        'carol asks 3',
      ]);
      // Arrived before anything was stored: only its author's own exchanges.
      expect(await seen(store, conv, { arrivedAt: beforeAll, authorId: 'bob' })).toEqual([
        'bob asks 2',
      ]);
      expect(await seen(store, conv, { arrivedAt: bobAsks, authorId: 'ann' })).toEqual([
        'ann asks 1',
      ]);
      // A strict reader (a thread, a DM) sees all, in the order stored, as before.
      expect(
        (await store.history('discord', conv, 100))
          .filter((m) => m.role === 'user')
          .map((m) => m.content),
      ).toEqual(['ann asks 1', 'carol asks 3', 'bob asks 2']);
    });

    it('waits for an exchange being stored when the question arrived, and sees it', async () => {
      const store = new PgConversationStore(database.db);
      const conv = 'shared-2';
      // Another worker stores an exchange: its transaction holds the history
      // lock (shared) and has dated its rows, but has not committed yet.
      const client = await database.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))', [
          `history\ndiscord\n${conv}`,
        ]);
        await client.query(
          `INSERT INTO conversation_messages (platform, tenant_id, conversation_key, role, author_id, author_name, content, job_id)
           VALUES ('discord', 'g1', $1, 'user', 'ann', 'ann', 'ann asks 1', 'lock-1'),
                  ('discord', 'g1', $1, 'assistant', NULL, NULL, 'to ann asks 1', 'lock-1')`,
          [conv],
        );
        const arrived = await tick();
        let read: string[] | undefined;
        const reading = seen(store, conv, { arrivedAt: arrived, authorId: 'bob' }).then(
          (r) => (read = r),
        );
        await sleep(300);
        // Without the lock, the read would have found nothing, and a retry the exchange.
        expect(read).toBeUndefined();
        await client.query('COMMIT');
        expect(await reading).toEqual(['ann asks 1']);
      } finally {
        client.release();
      }
    });

    it("waits for the database's clock to reach the question's arrival", async () => {
      const store = new PgConversationStore(database.db);
      const conv = 'shared-3';
      // The gateway's clock is ahead of the database's by 400 ms.
      const arrivedAt = Date.now() + 400;
      const started = Date.now();
      const reading = seen(store, conv, { arrivedAt, authorId: 'bob' });
      await sleep(150);
      // Stored after the read began, but dated before the question arrived.
      await save(store, asked(conv, 'ann', 1, Date.now()));
      expect(await reading).toEqual(['ann asks 1']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    });
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
