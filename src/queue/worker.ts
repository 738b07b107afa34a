/**
 * The worker side of the queue: takes chat jobs in per-conversation order,
 * runs the core handler, and turns its outcome into BullMQ's vocabulary.
 */
import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { handleChatJob, type ChatJobDeps } from '../core/chat-job.js';
import { JobError } from '../core/job-error.js';
import { SurfaceError } from '../core/surface.js';
import type { Logger } from '../log.js';
import type { ConversationOrder } from './conversation-order.js';
import { chatJobSchema, progressMessages, QUEUES } from './jobs.js';

/** How long a job waits before looking again whether its conversation is free. */
const TURN_POLL_MS = 1_000;

export interface ChatWorkerOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly queue: Queue;
  readonly order: ConversationOrder;
  readonly deps: ChatJobDeps;
  readonly log: Logger;
  readonly concurrency: number;
  /** How long a job stays locked to a worker that stopped renewing it (a crash). */
  readonly lockMs: number;
  readonly stalledIntervalMs: number;
}

/** Retry delay: Chutes' Retry-After when it gave one, else exponential with jitter. */
export function backoffDelay(attemptsMade: number, error: unknown): number {
  const exponential = Math.min(60_000, 2_000 * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  const retryAfter = error instanceof JobError ? error.retryAfterMs : undefined;
  return Math.round(Math.max(jittered, retryAfter ?? 0));
}

export function startChatWorker(options: ChatWorkerOptions): Worker {
  const { order, queue, log } = options;
  const stateOf = (jobId: string) => queue.getJobState(jobId);

  const processor = async (job: Job, token?: string): Promise<void> => {
    const parsed = chatJobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`invalid chat job payload: ${parsed.error.message}`);
    }
    const data = parsed.data;
    const jobId = job.id!;
    if (!(await order.isTurn(data.conversationKey, jobId, stateOf))) {
      await job.moveToDelayed(Date.now() + TURN_POLL_MS, token);
      throw new DelayedError();
    }
    const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const release = async () => {
      const next = await order.release(data.conversationKey, jobId);
      // Wake the next job of the conversation now rather than at its next poll.
      if (next) await (await queue.getJob(next))?.promote().catch(() => undefined);
    };
    try {
      await handleChatJob(
        data,
        {
          jobId,
          finalAttempt,
          progress: progressMessages(job.progress),
          saveProgress: (messages) => job.updateProgress({ messages: [...messages] }),
        },
        options.deps,
      );
    } catch (error) {
      const permanent =
        finalAttempt ||
        (error instanceof JobError && !error.retryable) ||
        (error instanceof SurfaceError && error.permanent);
      if (!permanent) throw error;
      await release();
      const code =
        error instanceof JobError || error instanceof SurfaceError ? error.code : 'internal';
      const reason = error instanceof Error ? error.message : String(error);
      throw new UnrecoverableError(`${code}: ${reason}`);
    }
    await release();
  };

  const worker = new Worker(QUEUES.chat, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: 3,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
        backoffDelay(attemptsMade, error),
    },
  });
  worker.on('failed', (job, error) => {
    log.warn({ jobId: job?.id, err: error, attempts: job?.attemptsMade }, 'chat job failed');
  });
  worker.on('error', (error) => log.error({ err: error }, 'chat worker error'));
  return worker;
}
