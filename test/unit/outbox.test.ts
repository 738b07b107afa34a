import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { ChatJob, CommandJob, EnqueueResult, JobSink } from '../../src/core/jobs.js';
import { Outbox, OutboxFullError } from '../../src/queue/outbox.js';

const chat = (n: number): ChatJob => ({
  v: 1,
  platform: 'discord',
  tenantId: 'g',
  conversationKey: encodeConversationKey({ channelId: 'c' }),
  channelId: 'c',
  messageId: `m${n}`,
  author: { id: 'u', name: 'Ann' },
  text: `question ${n}`,
  receivedAt: new Date(0).toISOString(),
});

/** A queue that is away until `back()`; records what reached it, in order. */
function flakyQueue() {
  let away = true;
  const queued: string[] = [];
  const sink: JobSink = {
    enqueueChat: async (job: ChatJob): Promise<EnqueueResult> => {
      if (away) throw new Error('Connection is closed.');
      queued.push(job.messageId);
      return { jobId: job.messageId, duplicate: false };
    },
    enqueueCommand: async (_job: CommandJob, id: string): Promise<EnqueueResult> => {
      if (away) throw new Error('Connection is closed.');
      queued.push(id);
      return { jobId: id, duplicate: false };
    },
  };
  return { sink, queued, back: () => (away = false), away: () => (away = true) };
}

const log = () => ({ warn: vi.fn(), info: vi.fn(), error: vi.fn() });

/** A queue that answers every job with `error`. */
const failing = (error: Error): JobSink => ({
  enqueueChat: async () => {
    throw error;
  },
  enqueueCommand: async () => {
    throw error;
  },
});

describe('Outbox', () => {
  it('keeps jobs while the queue is away and queues them in order once it is back', async () => {
    vi.useFakeTimers();
    try {
      const queue = flakyQueue();
      const outbox = new Outbox(queue.sink, log());
      for (const n of [1, 2, 3]) expect((await outbox.enqueueChat(chat(n))).kept).toBe(true);
      expect(outbox.size).toBe(3);
      await expect(outbox.check()).rejects.toThrow('3 jobs kept');
      await vi.advanceTimersByTimeAsync(600);
      expect(queue.queued).toEqual([]);

      queue.back();
      // A job that arrives while others are kept goes behind them.
      expect((await outbox.enqueueChat(chat(4))).kept).toBe(true);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(queue.queued).toEqual(['m1', 'm2', 'm3', 'm4']);
      expect(outbox.size).toBe(0);
      await expect(outbox.check()).resolves.toBeUndefined();
      // Back to normal: straight to the queue.
      expect(await outbox.enqueueChat(chat(5))).toEqual({ jobId: 'm5', duplicate: false });
      outbox.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses past its bound, so the gateway can tell the user', async () => {
    const queue = flakyQueue();
    const outbox = new Outbox(queue.sink, log(), 2);
    await outbox.enqueueChat(chat(1));
    await outbox.enqueueCommand({} as CommandJob, 'i1');
    await expect(outbox.enqueueChat(chat(3))).rejects.toBeInstanceOf(OutboxFullError);
    const logged = log();
    const closing = new Outbox(queue.sink, logged, 2);
    await closing.enqueueChat(chat(1));
    closing.close();
    expect(logged.error).toHaveBeenCalledWith({ kept: 1 }, expect.stringContaining('lost'));
    outbox.close();
  });

  it('keeps a job only while the store cannot be reached: any other error goes to the caller', async () => {
    // What ioredis, BullMQ and pg throw while their server is away.
    const unreachable = [
      new Error('Connection is closed.'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }),
      Object.assign(
        new Error(
          'Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.',
        ),
        { name: 'MaxRetriesPerRequestError' },
      ),
      Object.assign(new Error('Connection is closed.'), { name: 'ConnectionClosedError' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
    ];
    // What a queue that is there says about one job it will never take.
    const refused = [
      new Error('Custom Ids cannot be integers'),
      Object.assign(new Error('ERR Error running script: attempt to compare nil with number'), {
        name: 'ReplyError',
      }),
      Object.assign(new Error('value too long for type character varying(255)'), {
        code: '22001',
      }),
    ];
    for (const error of unreachable) {
      const outbox = new Outbox(failing(error), log());
      expect((await outbox.enqueueChat(chat(1))).kept, error.message).toBe(true);
      outbox.close();
    }
    for (const error of refused) {
      const outbox = new Outbox(failing(error), log());
      await expect(outbox.enqueueChat(chat(1))).rejects.toBe(error);
      await expect(outbox.enqueueCommand({} as CommandJob, 'i1')).rejects.toBe(error);
      expect(outbox.size).toBe(0);
      await expect(outbox.check()).resolves.toBeUndefined();
      outbox.close();
    }
  });

  it('drops a kept job the queue refuses for good, saying why, and queues the rest in order', async () => {
    vi.useFakeTimers();
    try {
      const poisoned = new Error('Custom Ids cannot be integers');
      let away = true;
      const queued: string[] = [];
      const sink: JobSink = {
        enqueueChat: async (job) => {
          if (away) throw new Error('Connection is closed.');
          if (job.messageId === 'm2') throw poisoned;
          queued.push(job.messageId);
          return { jobId: job.messageId, duplicate: false };
        },
        enqueueCommand: async () => ({ jobId: 'x', duplicate: false }),
      };
      const logged = log();
      const outbox = new Outbox(sink, logged);
      for (const n of [1, 2, 3]) expect((await outbox.enqueueChat(chat(n))).kept).toBe(true);
      away = false;
      await vi.advanceTimersByTimeAsync(5_000);
      expect(queued).toEqual(['m1', 'm3']);
      expect(outbox.size).toBe(0);
      await expect(outbox.check()).resolves.toBeUndefined();
      expect(logged.error).toHaveBeenCalledWith(
        expect.objectContaining({ err: poisoned, kind: 'chat', eventId: 'm2' }),
        'dropping a kept job the queue refuses',
      );
      outbox.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('knows a redelivery of a job it keeps', async () => {
    const queue = flakyQueue();
    const outbox = new Outbox(queue.sink, log());
    await outbox.enqueueChat(chat(1), 'event-1');
    expect(await outbox.queuedChat(chat(1), 'event-1')).toMatchObject({ duplicate: true });
    expect(await outbox.queuedChat(chat(2), 'event-2')).toBeUndefined();
    outbox.close();
  });

  it('does not keep a job the producer finds invalid', async () => {
    const invalid: JobSink = {
      enqueueChat: async () => {
        z.object({ v: z.literal(1) }).parse({ v: 2 });
        throw new Error('unreachable');
      },
      enqueueCommand: async () => ({ jobId: 'x', duplicate: false }),
    };
    const outbox = new Outbox(invalid, log());
    await expect(outbox.enqueueChat(chat(1))).rejects.toBeInstanceOf(z.ZodError);
    expect(outbox.size).toBe(0);
  });
});
