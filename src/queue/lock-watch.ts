/**
 * One writer per reply: a worker stops a job whose lock it may have lost
 * (a renewal refused, or none confirmed for most of the lock's duration)
 * before the lock expires and another worker takes the job over. The
 * errors that follow from such a stop are expected, and logged as such.
 */
import type { Logger } from '../log.js';
import { STOP_REASONS } from './attempts.js';
import type { JobWorker } from './backend.js';

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

export class LockWatch {
  // When each running job's lock was last known to be held.
  private readonly heldSince = new Map<string, number>();
  // Jobs this worker stopped because their lock may be lost: when, and
  // whether the log told what followed.
  private readonly lost = new Map<string, { at: number; told: boolean }>();
  private worker: JobWorker | undefined;

  constructor(
    private readonly queue: string,
    private readonly lockMs: number,
    private readonly log: Logger,
  ) {}

  /** Watches the locks of `worker`'s jobs until it closes. */
  watch(worker: JobWorker): void {
    this.worker = worker;
    worker.on('locksRenewed', ({ jobIds }) => {
      const now = Date.now();
      for (const jobId of jobIds) if (this.heldSince.has(jobId)) this.heldSince.set(jobId, now);
    });
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const jobId of jobIds) this.lockLost(jobId, 'lock renewal refused');
    });
    const timer = setInterval(() => {
      const deadline = Date.now() - this.lockMs * LOCK_TRUST;
      for (const [jobId, since] of this.heldSince)
        if (since < deadline) this.lockLost(jobId, 'lock not renewed in time');
    }, LOCK_WATCH_MS);
    timer.unref();
    worker.on('closed', () => clearInterval(timer));
  }

  /** A job started running here: its lock is held as of now. */
  started(jobId: string): void {
    this.heldSince.set(jobId, Date.now());
  }

  /** A job stopped running here, however it ended. */
  ended(jobId: string): void {
    this.heldSince.delete(jobId);
  }

  /**
   * Logs a worker error about a lock, as what it is: true when it was one.
   * A job stopped for its lock: its renewals and its move back to the queue
   * fail as expected (the lock lapsed; another worker continues it).
   */
  explain(error: Error): boolean {
    const jobId = LOCK_GONE.exec(error.message)?.[1];
    const stopped = jobId === undefined ? undefined : this.lost.get(jobId);
    if (stopped) {
      this.log[stopped.told ? 'debug' : 'info'](
        { queue: this.queue, jobId, reason: error.message },
        'job lock lost; another worker continues it',
      );
      stopped.told = true;
      return true;
    }
    // Also reported as lockRenewalFailed, handled above; a job that has just
    // moved itself to wait for its turn is one too.
    if (!LOCK_NOT_RENEWED.test(error.message)) return false;
    this.log.warn({ err: error, queue: this.queue }, 'job lock not renewed');
    return true;
  }

  private lockLost(jobId: string, why: string): void {
    if (!this.heldSince.delete(jobId)) return;
    const now = Date.now();
    for (const [id, { at }] of this.lost) if (at < now - LOST_MEMORY_MS) this.lost.delete(id);
    this.lost.set(jobId, { at: now, told: false });
    this.log.warn({ queue: this.queue, jobId, why }, 'stopping a job whose lock may be lost');
    this.worker?.cancelJob(jobId, STOP_REASONS.lockLost);
  }
}
