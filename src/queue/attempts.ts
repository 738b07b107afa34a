/**
 * One attempt at a job, in BullMQ's vocabulary: what the handler is told
 * about it, and what its outcome becomes. A job that must not be retried
 * ends in UnrecoverableError; a store that cannot be reached is waited out
 * without spending an attempt; everything else transient is rethrown for the
 * backoff; an attempt stopped from outside goes back to the queue.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { classifyFailure } from '../core/job-error.js';
import type { JobContext } from '../core/jobs.js';
import type { Logger } from '../log.js';
import { readProgress } from './jobs.js';

/**
 * The longest Retry-After honoured: a question waits no longer than this per
 * attempt, and neither do the questions behind it in its conversation.
 */
export const MAX_RETRY_AFTER_MS = 120_000;

/** Why a running attempt is stopped from outside (the abort reason its processor sees). */
export const STOP_REASONS = {
  lockLost: 'the job lock was lost: another worker may continue it',
  shutdown: 'the worker is shutting down: another worker continues the job',
} as const;

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

/** Between tries while a store is away: 2–4 s, so a dozen tries cover a restart. */
export function outageRetryMs(): number {
  return Math.round(OUTAGE_RETRY_MS * (1 + Math.random()));
}
const OUTAGE_RETRY_MS = 2_000;

/** What a handler knows of the attempt it runs in. */
export function jobContext(job: Job, signal?: AbortSignal): JobContext {
  const progress = readProgress(job.progress);
  return {
    jobId: job.id!,
    signal,
    finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    outageSince: progress.outageSince,
    progress: progress.messages,
    ...(progress.target ? { target: progress.target } : {}),
    waited: progress.waiting === true,
    saveProgress: (messages) =>
      job.updateProgress({ ...readProgress(job.progress), messages: [...messages] }),
    saveTarget: (target) => job.updateProgress({ ...readProgress(job.progress), target }),
  };
}

/**
 * Runs `handle`; a failure that will not be retried becomes UnrecoverableError
 * (after `onFinal`), so BullMQ keeps the job and its reason in the failed set.
 */
export async function settle(
  job: Job,
  token: string | undefined,
  signal: AbortSignal | undefined,
  handle: () => Promise<void>,
  onFinal?: () => Promise<void>,
): Promise<void> {
  try {
    await handle();
  } catch (error) {
    // Stopped from outside: the job goes back to the queue (handBack), whatever attempt this was.
    if (signal?.aborted) throw error;
    const attempt = jobContext(job);
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

/**
 * What an attempt that threw `error` ends in. Stopped from outside (its lock
 * lost, or shutting down): back to the queue at once, without spending an
 * attempt, where it continues in the same reply. A worker that no longer
 * holds the lock cannot move the job and changes nothing. Anything else is
 * the attempt's own failure, rethrown.
 */
export async function handBack(
  job: Job,
  token: string | undefined,
  signal: AbortSignal | undefined,
  error: unknown,
  log: Pick<Logger, 'warn'>,
  queue: string,
): Promise<never> {
  if (!signal?.aborted || !token) throw error;
  try {
    await job.moveToDelayed(Date.now(), token);
  } catch {
    throw error;
  }
  log.warn({ queue, jobId: job.id, reason: signal.reason }, 'job handed back');
  throw new DelayedError();
}
