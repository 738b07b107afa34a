/**
 * What a queue's worker reports to monitoring: how long jobs waited before a
 * worker took them, and attempts that failed (to be retried, or for good).
 */
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { Metrics } from '../core/metrics.js';
import type { JobWorker } from './backend.js';

/** BullMQ's reason for a job that stalled (its worker died) more often than allowed. */
export const STALLED_OUT = /stalled more than allowable limit/i;

export function observeJobs(worker: JobWorker, queue: string, metrics: Metrics): void {
  worker.on('active', (job) => {
    // A job waiting for its conversation's turn is taken again after each
    // poll; only the first take measures the queue.
    if (job.attemptsStarted > 1 || job.attemptsMade > 0) return;
    metrics.queueWait(queue, (job.processedOn ?? Date.now()) - job.timestamp);
  });
  worker.on('failed', (job, error) => {
    if (!job || error instanceof DelayedError) return;
    const final =
      error instanceof UnrecoverableError ||
      STALLED_OUT.test(error.message) ||
      job.finishedOn !== undefined ||
      job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) metrics.jobFailed();
    else metrics.jobRetried();
  });
}
