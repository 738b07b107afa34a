/**
 * The worker side of the queues: chat jobs in per-conversation order, command
 * jobs as they come. Runs the core handlers and turns their outcome into
 * BullMQ's vocabulary: a job that must not be retried ends in
 * UnrecoverableError; everything transient is rethrown for the backoff.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import {
  handleChatJob,
  markQueued,
  reportAbandonedChat,
  type ChatJobDeps,
} from '../core/chat-job.js';
import { handleCommandJob, reportAbandonedCommand, type CommandDeps } from '../core/command-job.js';
import { handleImagineJob, type ImagineDeps } from '../core/imagine-job.js';
import { classifyFailure } from '../core/job-error.js';
import type { JobContext } from '../core/jobs.js';
import type { Metrics } from '../core/metrics.js';
import type { Logger } from '../log.js';
import type { JobQueue, JobWorker, QueueBackend } from './backend.js';
import type { ConversationOrder } from './conversation-order.js';
import { observeJobs, STALLED_OUT } from './job-metrics.js';
import {
  chatJobSchema,
  commandJobSchema,
  ORDERED_COMMANDS,
  progressMessages,
  QUEUES,
  readProgress,
} from './jobs.js';

/** How long a job waits before looking again whether its conversation is free. */
const TURN_POLL_MS = 1_000;

export interface WorkerOptions {
  readonly backend: QueueBackend;
  readonly log: Logger;
  readonly concurrency: number;
  /** How long a job stays locked to a worker that stopped renewing it (a crash). */
  readonly lockMs: number;
  readonly stalledIntervalMs: number;
  /** How many worker crashes one job survives before it fails for good. */
  readonly maxStalls: number;
  readonly metrics?: Metrics;
  /**
   * The queue store's outages: a worker error that says the store cannot be
   * reached is counted there (its first logged once), not logged each.
   */
  readonly outage?: { absorb(error: unknown, source?: string): boolean };
}

/**
 * The longest Retry-After honoured: a question waits no longer than this per
 * attempt, and neither do the questions behind it in its conversation.
 */
export const MAX_RETRY_AFTER_MS = 120_000;

/** Retry delay: Chutes' Retry-After when it gave one (up to a cap), else exponential with jitter. */
export function backoffDelay(attemptsMade: number, error: unknown): number {
  const exponential = Math.min(60_000, 2_000 * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  const retryAfter = Math.min(
    classifyFailure(error, { finalAttempt: false }).retryAfterMs ?? 0,
    MAX_RETRY_AFTER_MS,
  );
  return Math.round(Math.max(jittered, retryAfter));
}

/** A job's log: every line carries its id, platform and tenant, gateway to final edit. */
function jobLog(log: Logger, job: Job, data: { platform: string; tenantId: string }): Logger {
  return log.child({ jobId: job.id, platform: data.platform, tenantId: data.tenantId });
}

function context(job: Job, signal?: AbortSignal): JobContext {
  const progress = readProgress(job.progress);
  return {
    jobId: job.id!,
    signal,
    finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    outageSince: progress.outageSince,
    progress: progress.messages,
    waited: progress.waiting === true,
    saveProgress: (messages) =>
      job.updateProgress({ ...readProgress(job.progress), messages: [...messages] }),
  };
}

/**
 * Runs `handle`; a failure that will not be retried becomes UnrecoverableError
 * (after `onFinal`), so BullMQ keeps the job and its reason in the failed set.
 */
async function settle(
  job: Job,
  token: string | undefined,
  signal: AbortSignal | undefined,
  handle: () => Promise<void>,
  onFinal?: () => Promise<void>,
): Promise<void> {
  try {
    await handle();
  } catch (error) {
    // Stopped from outside: the job goes back to the queue (see createWorker), whatever attempt this was.
    if (signal?.aborted) throw error;
    const attempt = context(job);
    const failure = classifyFailure(error, attempt);
    if (failure.waitOut && token) await waitOut(job, token, attempt.outageSince, error);
    if (!failure.final) throw error;
    await onFinal?.();
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnrecoverableError(`${failure.code}: ${reason}`);
  }
}

/**
 * A store could not be reached: the job tries again in a few seconds without
 * spending an attempt, remembering when the outage began for it. Where the
 * queue itself is away, the job cannot move: it stays active until its lock
 * expires and a worker picks it up again (a stall).
 */
async function waitOut(
  job: Job,
  token: string,
  outageSince: number | undefined,
  error: unknown,
): Promise<never> {
  try {
    await job.updateProgress({
      ...readProgress(job.progress),
      outageSince: outageSince ?? Date.now(),
    });
    await job.moveToDelayed(Date.now() + outageRetryMs(), token);
  } catch {
    throw error;
  }
  throw new DelayedError();
}

/** Between tries while a store is away: 2–4 s, so a dozen tries cover a restart. */
export function outageRetryMs(): number {
  return Math.round(OUTAGE_RETRY_MS * (1 + Math.random()));
}
const OUTAGE_RETRY_MS = 2_000;

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } },
  job: Job,
): T {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(`invalid ${job.name} job payload: ${parsed.error.message}`);
  return parsed.data;
}

/** Why a running attempt is stopped from outside (the abort reason its processor sees). */
export const STOP_REASONS = {
  lockLost: 'the job lock was lost: another worker may continue it',
  shutdown: 'the worker is shutting down: another worker continues the job',
} as const;

/**
 * Share of the lock's duration without a confirmed renewal after which a
 * worker stops writing: it may no longer hold the lock, and another worker
 * takes over once the lock expires. The rest is the margin for that.
 */
const LOCK_TRUST = 0.75;
const LOCK_WATCH_MS = 500;
const LOCK_NOT_RENEWED = /^could not renew lock for job /;
/** BullMQ's words for a lock this worker no longer holds, naming the job. */
const LOCK_GONE = /^(?:could not renew lock for job |Missing lock for job )(\S+?)\.?(?:\s|$)/;
/** How long a job stopped for its lock is remembered, for the errors that follow from it. */
const LOST_MEMORY_MS = 5 * 60_000;

type Processor = (
  job: Job,
  token: string | undefined,
  signal: AbortSignal | undefined,
) => Promise<void>;

function createWorker(
  name: string,
  processor: Processor,
  options: WorkerOptions,
  onAbandoned: (job: Job) => Promise<void> | undefined,
): JobWorker {
  // When each running job's lock was last known to be held.
  const heldSince = new Map<string, number>();
  // Three parameters: BullMQ hands a processor that takes them an AbortSignal.
  const run = async (job: Job, token: string | undefined, signal: AbortSignal | undefined) => {
    heldSince.set(job.id!, Date.now());
    try {
      await processor(job, token, signal);
    } catch (error) {
      if (!signal?.aborted || !token) throw error;
      // Lost the lock or shutting down: back to the queue at once, without
      // spending an attempt, where it continues in the same reply. A worker
      // that no longer holds the lock cannot move the job and changes nothing.
      try {
        await job.moveToDelayed(Date.now(), token);
      } catch {
        throw error;
      }
      options.log.warn({ queue: name, jobId: job.id, reason: signal.reason }, 'job handed back');
      throw new DelayedError();
    } finally {
      heldSince.delete(job.id!);
    }
  };
  const worker = options.backend.worker(name, run, {
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalls,
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
    // BullMQ failed it without running it: the handler never got to tell the user.
    if (job && STALLED_OUT.test(error.message)) {
      void onAbandoned(job)?.catch((tellError: unknown) =>
        options.log.warn(
          { err: tellError, jobId: job.id },
          'could not tell the user about an abandoned job',
        ),
      );
    }
  });
  // Jobs this worker stopped because their lock may be lost: when, and
  // whether the log told what followed.
  const lost = new Map<string, { at: number; told: boolean }>();
  worker.on('error', (error) => {
    // The queue store is away: one line per outage, not one per failed command.
    if (options.outage?.absorb(error, `${name} worker`)) return;
    // A job stopped for its lock: its renewals and its move back to the queue
    // fail as expected (the lock lapsed; another worker continues it).
    const jobId = LOCK_GONE.exec(error.message)?.[1];
    const stopped = jobId === undefined ? undefined : lost.get(jobId);
    if (stopped) {
      options.log[stopped.told ? 'debug' : 'info'](
        { queue: name, jobId, reason: error.message },
        'job lock lost; another worker continues it',
      );
      stopped.told = true;
      return;
    }
    // Also reported as lockRenewalFailed, handled below; a job that has just
    // moved itself to wait for its turn is one too.
    if (LOCK_NOT_RENEWED.test(error.message))
      options.log.warn({ err: error, queue: name }, 'job lock not renewed');
    else options.log.error({ err: error, queue: name }, 'worker error');
  });
  if (options.metrics) observeJobs(worker, name, options.metrics);

  // One writer per reply: a job whose lock this worker may have lost stops
  // writing before the lock expires and another worker takes it over.
  const lockLost = (jobId: string, why: string) => {
    if (!heldSince.delete(jobId)) return;
    const now = Date.now();
    for (const [id, { at }] of lost) if (at < now - LOST_MEMORY_MS) lost.delete(id);
    lost.set(jobId, { at: now, told: false });
    options.log.warn({ queue: name, jobId, why }, 'stopping a job whose lock may be lost');
    worker.cancelJob(jobId, STOP_REASONS.lockLost);
  };
  worker.on('locksRenewed', ({ jobIds }) => {
    const now = Date.now();
    for (const jobId of jobIds) if (heldSince.has(jobId)) heldSince.set(jobId, now);
  });
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) lockLost(jobId, 'lock renewal refused');
  });
  const watch = setInterval(() => {
    const deadline = Date.now() - options.lockMs * LOCK_TRUST;
    for (const [jobId, since] of heldSince)
      if (since < deadline) lockLost(jobId, 'lock not renewed in time');
  }, LOCK_WATCH_MS);
  watch.unref();
  worker.on('closed', () => clearInterval(watch));
  return worker;
}

/**
 * Per-conversation turns for the jobs that need them (chat, /forget), across
 * both queues: a job runs only at the head of its conversation's line.
 */
export class Turns {
  constructor(
    private readonly order: ConversationOrder,
    private readonly queues: readonly JobQueue[],
    private readonly lockMs: number,
    private readonly log?: Pick<Logger, 'warn'>,
  ) {}

  /**
   * Runs `handle` when it is this job's turn; otherwise parks the job for a
   * moment, the first time after `onWait` (which shows the question waits).
   */
  async run(
    job: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
    conversationKey: string,
    handle: (release: () => Promise<void>) => Promise<void>,
    onWait?: () => Promise<void>,
  ): Promise<void> {
    const jobId = job.id!;
    const isTurn = () => this.order.isTurn(conversationKey, jobId, (id) => this.stateOf(id));
    let turn = await isTurn();
    const progress = readProgress(job.progress);
    if (!turn && onWait && !progress.waiting) {
      await job.updateProgress({ ...progress, waiting: true });
      // Cosmetic: failing to show it must not hold the question back.
      await onWait().catch((error: unknown) =>
        this.log?.warn({ err: error, jobId }, 'could not mark a waiting question'),
      );
      // The turn may have come meanwhile; its promotion found this job still active.
      turn = await isTurn();
    }
    if (!turn) {
      await job.moveToDelayed(Date.now() + TURN_POLL_MS, token);
      throw new DelayedError();
    }
    let released = false;
    // The handler may end the turn early (once the answer is stored), so the
    // next question need not wait for this one's last edits.
    const release = async () => {
      if (released) return;
      released = true;
      // A worker that lost the job's lock (it stalled and another took over)
      // must not end the turn the other worker is still using.
      if (token && (await job.extendLock(token, this.lockMs)) !== 1) return;
      const next = await this.order.release(conversationKey, jobId);
      // Wake the next job of the conversation now rather than at its next poll.
      if (next) await (await this.find(next))?.promote().catch(() => undefined);
    };
    await settle(job, token, signal, () => handle(release), release);
    await release();
  }

  private async stateOf(jobId: string): Promise<string> {
    for (const queue of this.queues) {
      const state = await queue.getJobState(jobId);
      if (state !== 'unknown') return state;
    }
    return 'unknown';
  }

  private async find(jobId: string): Promise<Job | undefined> {
    for (const queue of this.queues) {
      const job = await queue.getJob(jobId);
      if (job) return job;
    }
    return undefined;
  }
}

export function startChatWorker(
  options: WorkerOptions & {
    readonly turns: Turns;
    readonly deps: ChatJobDeps;
  },
): JobWorker {
  return createWorker(
    QUEUES.chat,
    async (job, token, signal) => {
      const data = parse(chatJobSchema, job);
      await options.turns.run(
        job,
        token,
        signal,
        data.conversationKey,
        (release) =>
          handleChatJob(
            data,
            { ...context(job, signal), answered: release },
            { ...options.deps, log: jobLog(options.log, job, data) },
          ),
        () => markQueued(data, options.deps, true),
      );
    },
    options,
    (job) => {
      const data = chatJobSchema.safeParse(job.data);
      return data.success
        ? reportAbandonedChat(data.data, progressMessages(job.progress), options.deps)
        : undefined;
    },
  );
}

export function startCommandWorker(
  options: WorkerOptions & {
    readonly turns: Turns;
    readonly imagine: ImagineDeps;
    readonly commands: CommandDeps;
  },
): JobWorker {
  return createWorker(
    QUEUES.commands,
    async (job, token, signal) => {
      const data = parse(commandJobSchema, job);
      const handle = () =>
        data.command === 'imagine'
          ? handleImagineJob(data, context(job, signal), {
              ...options.imagine,
              log: jobLog(options.log, job, data),
            })
          : handleCommandJob(data, context(job, signal), {
              ...options.commands,
              log: jobLog(options.log, job, data),
            });
      if (ORDERED_COMMANDS.has(data.command))
        await options.turns.run(job, token, signal, data.conversationKey, handle);
      else await settle(job, token, signal, handle);
    },
    options,
    (job) => {
      const data = commandJobSchema.safeParse(job.data);
      return data.success ? reportAbandonedCommand(data.data, options.commands) : undefined;
    },
  );
}
