/**
 * The stores behind the buttons, on the real Postgres: Stop presses seen by
 * the watch of another process, a regeneration replacing an answer in place
 * (the old one kept, the history before it), and votes one per person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StopRequested, StopWatch } from '../../src/core/controls/stop-watch.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { ChatJob } from '../../src/core/jobs.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { PgFeedbackStore } from '../../src/db/feedback-store.js';
import { PgStopStore } from '../../src/db/stop-store.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import type { EffectiveSettings } from '../../src/core/settings/index.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const job = (n: number, extra: Partial<ChatJob> = {}): ChatJob => ({
  v: 1,
  platform: 'discord',
  tenantId: 'g1',
  conversationKey: encodeConversationKey({ channelId: 'c1' }),
  channelId: 'c1',
  messageId: `m${n}`,
  author: { id: 'u1', name: 'Ann' },
  text: `question ${n}`,
  receivedAt: new Date().toISOString(),
  arrivedAt: Date.now() + n,
  ...extra,
});

const usage = (jobId: string, model = 'm') => ({
  jobId,
  kind: 'chat' as const,
  platform: 'discord',
  tenantId: 'g1',
  userId: 'u1',
  model,
  durationMs: 1,
  outcome: 'ok',
});

/** Resolves once `signal` aborts, also when it already has (a poll may come before the listener). */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve());
  });

describe('Stop presses', () => {
  it('reach a watch in another store instance within its interval, once recorded', async () => {
    const pressing = new PgStopStore(database.db);
    const watch = new StopWatch(new PgStopStore(database.db), { warn: () => undefined }, 50);
    const watched = watch.watch('discord-msg-1');
    const other = watch.watch('discord-msg-2');
    expect(await pressing.request('discord-msg-1', 'u1')).toBe(true);
    expect(await pressing.request('discord-msg-1', 'u2')).toBe(false);
    await aborted(watched.signal);
    expect(watched.signal.reason).toBeInstanceOf(StopRequested);
    expect(other.signal.aborted).toBe(false);
    watched.close();
    other.close();
    // A press before the answer started counts as soon as it is watched.
    const late = watch.watch('discord-msg-1');
    await aborted(late.signal);
    late.close();
    watch.stop();
  });
});

describe('regeneration', () => {
  it('replaces the answer in place, keeps the old one, and reads the history before it', async () => {
    const store = new PgConversationStore(database.db);
    await store.saveExchange(job(1), 'j1', 'answer 1', usage('j1'));
    await store.saveExchange(job(2), 'j2', 'answer 2', usage('j2'));
    await store.saveExchange(job(3), 'j3', 'answer 3', usage('j3'));
    const exchange = await store.exchangeOf('j2');
    expect(exchange).toMatchObject({
      answer: 'answer 2',
      question: { text: 'question 2', authorId: 'u1', messageId: 'm2' },
    });

    const again = job(2, {
      regenerates: {
        answerId: 'j2',
        messages: [{ channelId: 'c1', messageId: 'a2' }],
        askedAt: exchange!.askedAt,
      },
    });
    const before = await store.history('discord', again.conversationKey, 50, {
      arrivedAt: 0,
      authorId: 'u1',
      before: exchange!.askedAt,
    });
    expect(before.map((m) => m.content)).toEqual(['question 1', 'answer 1']);

    expect(await store.saveExchange(again, 'r2', 'answer 2, again', usage('r2'))).toBe(
      'answer 2, again',
    );
    // A retry of the same regeneration stores nothing twice.
    expect(await store.saveExchange(again, 'r2', 'another try', usage('r2'))).toBe(
      'answer 2, again',
    );
    const all = await store.history('discord', again.conversationKey, 50);
    expect(all.map((m) => m.content)).toEqual([
      'question 1',
      'answer 1',
      'question 2',
      'answer 2, again',
      'question 3',
      'answer 3',
    ]);
    expect(await store.storedAnswer('j2')).toBeUndefined();
    expect(await store.wasReplaced('j2')).toBe(true);
    expect(await store.exchangeOf('j2')).toBeUndefined();
    expect((await store.exchangeOf('r2'))?.question.text).toBe('question 2');
    // A second press of the old answer's button, queued before the first was stored:
    // it replaces the newest answer, not nothing.
    await store.saveExchange(again, 'r3', 'answer 2, third', usage('r3'));
    expect(await store.storedAnswer('r3')).toBe('answer 2, third');
    const { rows } = await database.pool.query(
      'SELECT job_id, content, replaced_by FROM answer_versions ORDER BY id',
    );
    expect(rows).toEqual([
      { job_id: 'j2', content: 'answer 2', replaced_by: 'r2' },
      { job_id: 'r2', content: 'answer 2, again', replaced_by: 'r3' },
    ]);
  });
});

describe('votes', () => {
  it('keep one per person per answer, with the model that wrote it', async () => {
    const conversations = new PgConversationStore(database.db);
    await conversations.saveExchange(job(9), 'j9', 'answer 9', usage('j9', 'model-x'));
    const feedback = new PgFeedbackStore(database.db);
    const settings = { model: 'model-now' } as EffectiveSettings;
    const vote = (userId: string, value: 'up' | 'down') =>
      feedback.vote({
        answerId: 'j9',
        platform: 'discord',
        tenantId: 'g1',
        userId,
        value,
        settings,
        answer: 'answer 9',
      });
    expect(await vote('u1', 'up')).toBe(true);
    expect(await vote('u1', 'up')).toBe(false);
    expect(await vote('u1', 'down')).toBe(true);
    expect(await vote('u2', 'up')).toBe(true);
    expect(await feedback.byModel('discord', 'g1', new Date(0))).toEqual([
      { model: 'model-x', up: 1, down: 1 },
    ]);
  });
});
