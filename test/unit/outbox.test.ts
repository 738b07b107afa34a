import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { ChatJob, CommandJob, EnqueueResult, JobSink } from '../../src/core/jobs.js';
import { Outbox, OutboxFullError } from '../../src/queue/outbox.js';

const chat = (n: number): ChatJob => ({
  v: 1,
  platform: 'discord',
  tenantId: 'g',
  conversationKey: 'c',
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
