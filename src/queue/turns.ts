/**
 * Per-conversation turns for the jobs that need them (chat, /forget), across
 * both queues: a job runs only when nothing before it in its conversation's
 * line is in its way (conversation-order.ts: its lane); one that must wait
 * is parked in the delayed set.
 */
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from '../log.js';
import { settle } from './attempts.js';
import type { JobQueue } from './backend.js';
import type { ConversationOrder, Lane } from './conversation-order.js';
import { readProgress } from './jobs.js';

/** How long a job waits before looking again whether its conversation is free. */
const TURN_POLL_MS = 1_000;

export class Turns {
  constructor(
    private readonly order: ConversationOrder,
    private readonly queues: readonly JobQueue[],
    private readonly lockMs: number,
    private readonly log?: Pick<Logger, 'warn'>,
  ) {}

  /**
   * Runs `handle` when it is this job's turn (in `lane`, as it registered);
   * otherwise parks the job for a moment, the first time after `onWait`
   * (which shows the question waits).
   */
  async run(
    job: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
    place: { readonly conversationKey: string; readonly lane?: Lane },
    handle: (release: () => Promise<void>) => Promise<void>,
    onWait?: () => Promise<void>,
  ): Promise<void> {
    const jobId = job.id!;
    const { conversationKey, lane } = place;
    const isTurn = () => this.order.isTurn(conversationKey, jobId, (id) => this.stateOf(id), lane);
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
      // Wake the jobs it held back now rather than at their next poll.
      await Promise.all(
        next.map(async (id) => (await this.find(id))?.promote().catch(() => undefined)),
      );
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
