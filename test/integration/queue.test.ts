import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ChutesError } from '../../src/chutes/errors.js';
import type { ChatJobDeps } from '../../src/core/chat-job.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { ChatJob } from '../../src/core/jobs.js';
import { INTERNAL, RETRYING_OTHER } from '../../src/core/user-messages.js';
import type { JobQueue, JobWorker } from '../../src/queue/backend.js';
import { jobIdFor, QUEUES } from '../../src/queue/jobs.js';
import { JobProducer } from '../../src/queue/producer.js';
import { Turns } from '../../src/queue/turns.js';
import { startChatWorker } from '../../src/queue/worker.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { PgSettingsStore } from '../../src/db/settings-store.js';
import { chatDeps, TEST_DEFAULTS } from '../support/chat-deps.js';
import { MemorySurface } from '../support/memory-surface.js';
import {
  BACKEND_KINDS,
  openTestBackend,
  type BackendKind,
  type TestBackend,
} from '../support/backends.js';
import { connectionLost } from '../support/pg.js';
import type { SurfaceLimits } from '../../src/core/surface.js';
import { ScriptedModel } from '../support/scripted-model.js';

const LIMITS: SurfaceLimits = {
  maxMessageLength: 2000,
  maxUploadBytes: 1024,
  rates: {
    post: [{ bucket: 'post', scope: 'channel', points: 50, windowMs: 1000 }],
    edit: [{ bucket: 'edit', scope: 'channel', points: 50, windowMs: 1000 }],
  },
};

let t: TestBackend | undefined;
let queue: JobQueue;
let workers: JobWorker[] = [];
const log = pino({ level: 'silent' });

afterEach(async () => {
  await Promise.all(workers.map((w) => w.close(true)));
  workers = [];
  await queue?.close();
  await t?.close();
  t = undefined;
});

/** A fresh backend (its own database, queue and prefix), a queue and workers on it. */
async function setup(
  kind: BackendKind,
  model: ScriptedModel,
  workerCount: number,
  attempts = 3,
  override: Partial<ChatJobDeps> = {},
) {
  t = await openTestBackend(kind);
  const { backend } = t;
  queue = backend.queue(QUEUES.chat);
  const surface = new MemorySurface(LIMITS);
  const deps = { ...chatDeps({ db: t.db, budget: backend.budget, surface, model }), ...override };

  for (let i = 0; i < workerCount; i++) {
    workers.push(
      startChatWorker({
        backend,
        turns: new Turns(backend.order, [queue], 30_000),
        deps,
        log,
        concurrency: 4,
        lockMs: 5_000,
        stalledIntervalMs: 5_000,
        maxStalls: 2,
      }),
    );
  }
  return {
    producer: new JobProducer({ chat: queue, commands: queue }, backend.order, attempts),
    surface,
    order: backend.order,
  };
}

let counter = 0;
function chatJob(
  conversationKey: string,
  text: string,
  shared?: { author: ChatJob['author'] },
): ChatJob {
  counter++;
  return {
    ...(shared ? { shared: true } : {}),
    v: 1,
    platform: 'memory',
    tenantId: 't1',
    conversationKey: encodeConversationKey({ channelId: conversationKey }),
    channelId: conversationKey,
    messageId: `${Date.now()}${counter}`,
    author: shared?.author ?? { id: 'u1', name: 'Ann' },
    text,
    receivedAt: new Date().toISOString(),
  };
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(BACKEND_KINDS)('chat queue on %s', (kind) => {
  it('runs one conversation one job at a time, in arrival order, across workers', async () => {
    const model = new ScriptedModel();
    model.script(
      { reply: 'first answer', delayMs: 400 },
      { reply: 'second answer', delayMs: 100 },
      { reply: 'third answer' },
    );
    const { producer } = await setup(kind, model, 2);
    const conv = `conv-${counter}`;
    for (const text of ['one', 'two', 'three']) await producer.enqueueChat(chatJob(conv, text));
    await waitFor(() => model.calls.length === 3 && model.calls.every((c) => c.endedAt));
    await waitFor(async () => (await queue.getCompletedCount()) === 3);

    const lastUser = model.calls.map((c) => c.request.messages.at(-1)!.content);
    expect(lastUser).toEqual(['Ann: one', 'Ann: two', 'Ann: three']);
    for (let i = 1; i < 3; i++)
      expect(model.calls[i]!.startedAt).toBeGreaterThanOrEqual(model.calls[i - 1]!.endedAt!);
    // The second question sees the first answer.
    expect(model.calls[1]!.request.messages.map((m) => m.content)).toContain('first answer');
    expect(model.calls[2]!.request.messages.map((m) => m.content)).toContain('second answer');
  });

  it("runs a shared conversation's authors side by side, each author's jobs in order, across workers", async () => {
    const model = new ScriptedModel();
    model.script({ delayMs: 400 }, { delayMs: 400 }, { delayMs: 400 });
    const { producer } = await setup(kind, model, 2);
    const conv = `shared-${counter}`;
    const ann = { author: { id: 'ann', name: 'Ann' } };
    const bob = { author: { id: 'bob', name: 'Bob' } };
    await producer.enqueueChat(chatJob(conv, 'one', ann));
    await producer.enqueueChat(chatJob(conv, 'two', bob));
    await producer.enqueueChat(chatJob(conv, 'three', ann));
    await waitFor(() => model.calls.length === 3 && model.calls.every((c) => c.endedAt));
    await waitFor(async () => (await queue.getCompletedCount()) === 3);

    const call = (text: string) =>
      model.calls.find((c) => String(c.request.messages.at(-1)!.content).endsWith(`: ${text}`))!;
    const sent = (text: string) => call(text).request.messages.map((m) => m.content);
    // Bob did not wait for Ann; Ann's second question waited for her first.
    expect(call('two').startedAt).toBeLessThan(call('one').endedAt!);
    expect(call('three').startedAt).toBeGreaterThanOrEqual(call('one').endedAt!);
    // It saw her first exchange, not Bob's, stored after it arrived.
    expect(sent('three')).toContain('Ann: one');
    expect(sent('three')).not.toContain('Bob: two');
    expect(sent('two')).not.toContain('Ann: one');
  });

  it('runs different conversations at the same time', async () => {
    const model = new ScriptedModel();
    model.script({ delayMs: 600 }, { delayMs: 600 });
    const { producer } = await setup(kind, model, 1);
    await producer.enqueueChat(chatJob(`a-${counter}`, 'x'));
    await producer.enqueueChat(chatJob(`b-${counter}`, 'y'));
    await waitFor(() => model.calls.length === 2 && model.calls.every((c) => c.endedAt));
    expect(Math.abs(model.calls[0]!.startedAt - model.calls[1]!.startedAt)).toBeLessThan(500);
  });

  it('drops a redelivered event', async () => {
    const model = new ScriptedModel();
    const { producer, surface } = await setup(kind, model, 1);
    const job = chatJob(`dup-${counter}`, 'hello');
    const first = await producer.enqueueChat(job);
    const second = await producer.enqueueChat(job);
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ jobId: first.jobId, duplicate: true });
    await waitFor(async () => (await queue.getCompletedCount()) === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(model.calls).toHaveLength(1);
    expect(surface.calls.filter((c) => c.op === 'post')).toHaveLength(1);
  });

  it('retries a transient Chutes failure in the same message', async () => {
    const model = new ScriptedModel();
    model.script(
      { error: new ChutesError('overloaded', 'busy', { status: 429, retryAfterMs: 200 }) },
      { reply: 'worked' },
    );
    const { producer, surface } = await setup(kind, model, 1);
    await producer.enqueueChat(chatJob(`retry-${counter}`, 'hello'));
    await waitFor(async () => (await queue.getCompletedCount()) === 1);
    expect(model.calls).toHaveLength(2);
    const posts = surface.calls.filter((c) => c.op === 'post');
    expect(posts).toHaveLength(1);
    expect(surface.contents.get(posts[0]!.messageId)).toBe('worked');
  });

  it('fails a job for good on a permanent error, tells the user, keeps the reason, and frees the conversation', async () => {
    const model = new ScriptedModel();
    model.script(
      { error: new ChutesError('unauthorized', 'bad key', { status: 401 }) },
      { reply: 'next one fine' },
    );
    const { producer, surface } = await setup(kind, model, 1);
    const conv = `fail-${counter}`;
    await producer.enqueueChat(chatJob(conv, 'first'));
    await producer.enqueueChat(chatJob(conv, 'second'));
    await waitFor(
      async () => (await queue.getFailedCount()) === 1 && (await queue.getCompletedCount()) === 1,
    );
    const [failed] = await queue.getFailed();
    expect(failed!.failedReason).toContain('unauthorized');
    expect(failed!.data.text).toBe('first');
    expect(model.calls).toHaveLength(2);
    const texts = [...surface.contents.values()];
    expect(texts.some((t) => t.includes('API key'))).toBe(true);
    expect(texts).toContain('next one fine');
  });

  it('says so in the reply when a step before the model fails, retrying, then for good', async () => {
    const model = new ScriptedModel();
    let lookups = 0;
    const { producer, surface } = await setup(kind, model, 1, 2, {
      // The settings lookup fails in a way no wait cures.
      settings: {
        get: async () => {
          lookups++;
          throw new Error('relation "settings" does not exist');
        },
      },
    });
    await producer.enqueueChat(chatJob(`nodb-${counter}`, 'hello'));
    await waitFor(async () => (await queue.getFailedCount()) === 1, 20_000);
    expect(lookups).toBe(2);
    expect(model.calls).toHaveLength(0);
    const shown = [...surface.contents.values()];
    expect(shown).toHaveLength(1);
    // Not left on "Thinking…": the last attempt said what happened.
    expect(shown[0]).toBe(INTERNAL);
    const edits = surface.calls.filter((c) => c.op === 'edit').map((c) => c.text);
    expect(edits).toContain(RETRYING_OTHER);
    const [failed] = await queue.getFailed();
    expect(failed!.failedReason).toContain('does not exist');
  });

  it('waits out a database that went away, past its attempts, and answers once it is back', async () => {
    const model = new ScriptedModel();
    model.script({ reply: 'after the outage' });
    let lookups = 0;
    const { producer, surface } = await setup(kind, model, 1, 2, {
      // Away for three lookups: more than the job's two attempts.
      settings: {
        get: (platform: string, tenant: string) => {
          lookups++;
          return lookups <= 3
            ? connectionLost()
            : new PgSettingsStore(t!.db, TEST_DEFAULTS).get(platform, tenant);
        },
      },
    });
    await producer.enqueueChat(chatJob(`outage-${counter}`, 'hello'));
    await waitFor(async () => (await queue.getCompletedCount()) === 1, 30_000);
    expect(lookups).toBe(4);
    expect(await queue.getFailedCount()).toBe(0);
    expect(model.calls).toHaveLength(1);
    expect([...surface.contents.values()]).toEqual(['after the outage']);
    // Meanwhile the reply said it would try again.
    const edits = surface.calls.filter((c) => c.op === 'edit').map((c) => c.text);
    expect(edits).toContain(RETRYING_OTHER);
  });

  it('keeps an answer the database could not store yet, and stores it once, without asking again', async () => {
    const model = new ScriptedModel();
    model.script({ reply: 'worth keeping' });
    let saves = 0;
    const store = () => new PgConversationStore(t!.db);
    const { producer, surface } = await setup(kind, model, 1, 2, {
      store: {
        history: (...a) => store().history(...a),
        storedAnswer: (...a) => store().storedAnswer(...a),
        recordUsage: (...a) => store().recordUsage(...a),
        saveExchange: (...a) => (++saves <= 3 ? connectionLost() : store().saveExchange(...a)),
      },
    });
    const job = chatJob(`unsaved-${counter}`, 'hello');
    await producer.enqueueChat(job);
    await waitFor(async () => (await queue.getCompletedCount()) === 1, 30_000);
    expect(saves).toBe(4);
    expect(model.calls).toHaveLength(1);
    expect([...surface.contents.values()]).toEqual(['worth keeping']);
    const history = await store().history('memory', job.conversationKey, 10);
    expect(history.map((m) => m.content)).toEqual(['hello', 'worth keeping']);
  });

  it('answers a redelivery whose first delivery died between registering and queueing', async () => {
    const model = new ScriptedModel();
    const { producer, order } = await setup(kind, model, 1);
    const job = chatJob(`torn-${counter}`, 'hello');
    // The first delivery got this far, then its process died.
    expect(
      await order.register(job.conversationKey, jobIdFor('memory', 'msg', job.messageId)),
    ).toBe(true);
    const redelivered = await producer.enqueueChat(job);
    expect(redelivered.duplicate).toBe(false);
    await waitFor(async () => (await queue.getCompletedCount()) === 1);
    // And a third delivery is a duplicate again.
    expect((await producer.enqueueChat(job)).duplicate).toBe(true);
    expect(model.calls).toHaveLength(1);
  });

  it('forgets a registration whose job never reached the queue, so the redelivery is answered', async () => {
    const model = new ScriptedModel();
    const { order } = await setup(kind, model, 0);
    expect(await order.register('conv-x', 'memory-msg-1')).toBe(true);
    expect(await order.register('conv-x', 'memory-msg-1')).toBe(false);
    await order.unregister('conv-x', 'memory-msg-1');
    expect(await order.register('conv-x', 'memory-msg-1')).toBe(true);
  });
});
