/**
 * The worker side of the queues: chat jobs in per-conversation order, command
 * jobs as they come. Runs the core handlers and turns their outcome into
 * BullMQ's vocabulary: a job that must not be retried ends in
 * UnrecoverableError; everything transient is rethrown for the backoff.
 */
import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { handleChatJob, type ChatJobDeps } from '../core/chat-job.js';
import { handleCommandJob, type CommandDeps } from '../core/command-job.js';
import { handleImagineJob, type ImagineDeps } from '../core/imagine-job.js';
import { classifyFailure } from '../core/job-error.js';
import type { JobContext } from '../core/jobs.js';
import type { Logger } from '../log.js';
import type { ConversationOrder } from './conversation-order.js';
import { chatJobSchema, commandJobSchema, progressMessages, QUEUES } from './jobs.js';

/** How long a job waits before looking again whether its conversation is free. */
const TURN_POLL_MS = 1_000;

export interface WorkerOptions {
  readonly connection: Redis;
  readonly prefix: string;
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
  const retryAfter = classifyFailure(error, false).retryAfterMs;
  return Math.round(Math.max(jittered, retryAfter ?? 0));
}

function context(job: Job): JobContext {
  return {
    jobId: job.id!,
    finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    progress: progressMessages(job.progress),
    saveProgress: (messages) => job.updateProgress({ messages: [...messages] }),
  };
}

/**
 * Runs `handle`; a failure that will not be retried becomes UnrecoverableError
 * (after `onFinal`), so BullMQ keeps the job and its reason in the failed set.
 */
async function settle(
  job: Job,
  handle: () => Promise<void>,
  onFinal?: () => Promise<void>,
): Promise<void> {
  try {
    await handle();
  } catch (error) {
    const failure = classifyFailure(error, context(job).finalAttempt);
    if (!failure.final) throw error;
    await onFinal?.();
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnrecoverableError(`${failure.code}: ${reason}`);
  }
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } },
  job: Job,
): T {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(`invalid ${job.name} job payload: ${parsed.error.message}`);
  return parsed.data;
}

function createWorker(
  name: string,
  processor: (job: Job, token?: string) => Promise<void>,
  options: WorkerOptions,
): Worker {
  const worker = new Worker(name, processor, {
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
    if (error instanceof DelayedError) return;
    options.log.warn(
      { queue: name, jobId: job?.id, err: error, attempts: job?.attemptsMade },
      'job attempt failed',
    );
  });
  worker.on('error', (error) => options.log.error({ err: error, queue: name }, 'worker error'));
  return worker;
}

export function startChatWorker(
  options: WorkerOptions & {
    readonly queue: Queue;
    readonly order: ConversationOrder;
    readonly deps: ChatJobDeps;
  },
): Worker {
  const { order, queue } = options;
  const stateOf = (jobId: string) => queue.getJobState(jobId);
  return createWorker(
    QUEUES.chat,
    async (job, token) => {
      const data = parse(chatJobSchema, job);
      const jobId = job.id!;
      if (!(await order.isTurn(data.conversationKey, jobId, stateOf))) {
        await job.moveToDelayed(Date.now() + TURN_POLL_MS, token);
        throw new DelayedError();
      }
      const release = async () => {
        const next = await order.release(data.conversationKey, jobId);
        // Wake the next job of the conversation now rather than at its next poll.
        if (next) await (await queue.getJob(next))?.promote().catch(() => undefined);
      };
      await settle(job, () => handleChatJob(data, context(job), options.deps), release);
      await release();
    },
    options,
  );
}

export function startCommandWorker(
  options: WorkerOptions & { readonly imagine: ImagineDeps; readonly commands: CommandDeps },
): Worker {
  return createWorker(
    QUEUES.commands,
    async (job) => {
      const data = parse(commandJobSchema, job);
      await settle(job, () =>
        data.command === 'imagine'
          ? handleImagineJob(data, context(job), options.imagine)
          : handleCommandJob(data, options.commands),
      );
    },
    options,
  );
}
