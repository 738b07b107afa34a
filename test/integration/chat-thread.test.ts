/**
 * A chat job that opens a thread for its answer (`newThread`): the thread is
 * opened once and saved with the job before anything is posted there, so a
 * retry continues in it; a surface that may not open one answers in place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleChatJob } from '../../src/core/chat-job.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { ChatJob, JobContext } from '../../src/core/jobs.js';
import {
  SurfaceError,
  type MessageRef,
  type PostOptions,
  type QuestionRef,
  type ReplyTarget,
} from '../../src/core/surface.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { chatDeps } from '../support/chat-deps.js';
import { MemorySurface, unlimited, WindowBudget } from '../support/memory-surface.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { ScriptedModel } from '../support/scripted-model.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/** Opens threads the way Discord does: the thread takes the question's id. */
class ThreadSurface extends MemorySurface {
  readonly threads: { question: QuestionRef; name: string }[] = [];
  readonly postedTo: string[] = [];
  refuseThreads = false;

  async startThread(question: QuestionRef, name: string): Promise<ReplyTarget> {
    if (this.refuseThreads) throw new SurfaceError('forbidden', 'Missing Permissions');
    this.threads.push({ question, name });
    return { channelId: question.messageId };
  }

  override async post(channelId: string, text: string, options?: PostOptions) {
    this.postedTo.push(channelId);
    return super.post(channelId, text, options);
  }
}

let n = 0;
function threadJob(): ChatJob {
  n += 1;
  const messageId = `q${n}-${Date.now()}`;
  return {
    v: 1,
    platform: 'memory',
    tenantId: 'g1',
    conversationKey: encodeConversationKey({ channelId: messageId }),
    channelId: 'c1',
    messageId,
    replyTo: messageId,
    newThread: { name: 'why is the sky blue' },
    author: { id: 'u-ann', name: 'Ann' },
    text: 'why is the sky blue',
    receivedAt: new Date().toISOString(),
  };
}

/** A job's progress as the queue keeps it between attempts. */
function attempts(jobId: string) {
  const saved: { messages: MessageRef[]; target?: ReplyTarget; order: string[] } = {
    messages: [],
    order: [],
  };
  /** `dies`: the worker dies right after saving where the answer goes. */
  const ctx = (finalAttempt: boolean, dies = false): JobContext => ({
    jobId,
    finalAttempt,
    progress: saved.messages,
    ...(saved.target ? { target: saved.target } : {}),
    saveProgress: async (messages) => {
      saved.messages = [...messages];
      saved.order.push('messages');
    },
    saveTarget: async (target) => {
      saved.target = target;
      saved.order.push('target');
      if (dies) throw new Error('the worker died');
    },
  });
  return { saved, ctx };
}

describe('a chat job that opens a thread', () => {
  it('opens it once, saves it before posting, and a retry continues there', async () => {
    const surface = new ThreadSurface(unlimited(2_000));
    const model = new ScriptedModel();
    const deps = chatDeps({ db: database.db, budget: new WindowBudget(), surface, model });
    const job = threadJob();
    const { saved, ctx } = attempts('thread-retry');

    // The first attempt opens the thread and fails right after saving it.
    await expect(handleChatJob(job, ctx(false, true), deps)).rejects.toThrow('the worker died');
    expect(saved.target).toEqual({ channelId: job.messageId });

    await handleChatJob(job, ctx(true), deps);
    expect(saved.order[0]).toBe('target');
    expect(surface.threads).toEqual([
      {
        question: { channelId: 'c1', messageId: job.messageId, replyTo: job.messageId },
        name: 'why is the sky blue',
      },
    ]);
    expect(new Set(surface.postedTo)).toEqual(new Set([job.messageId]));
    // In the thread the answer is a message of its own, not a reply across channels.
    expect(surface.calls.filter((c) => c.op === 'post').every((c) => !c.replyTo)).toBe(true);
    const history = await new PgConversationStore(database.db).history(
      'memory',
      job.conversationKey,
      10,
    );
    expect(history.map((m) => m.content)).toEqual(['why is the sky blue', 'answer 1']);
  });

  it('answers in place, as a reply, where it may not open one', async () => {
    const surface = new ThreadSurface(unlimited(2_000));
    surface.refuseThreads = true;
    const deps = chatDeps({
      db: database.db,
      budget: new WindowBudget(),
      surface,
      model: new ScriptedModel(),
    });
    const job = threadJob();
    const { saved, ctx } = attempts('thread-refused');
    await handleChatJob(job, ctx(true), deps);
    expect(saved.target).toEqual({ channelId: 'c1', replyTo: job.messageId });
    expect(surface.postedTo).toEqual(['c1']);
    expect(surface.calls[0]).toMatchObject({ op: 'post', replyTo: job.messageId });
    expect(surface.contents.get(surface.calls[0]!.messageId)).toBe('answer 1');
  });
});
