/**
 * Keeps the jobs a gateway accepted while the queue cannot be reached (Redis
 * restarting, a network cut) and queues them, in order, once it can: a
 * question asked during an outage is answered after it instead of refused.
 *
 * The outbox is bounded: past the bound, enqueueing fails and the gateway
 * tells the user. What it keeps is also written to disk (outbox-journal.ts)
 * before the event is acknowledged, so a gateway killed during the outage
 * loses nothing: the next one to start queues it.
 *
 * Only "the store cannot be reached" keeps a job. Any other error is that
 * job's alone (invalid, refused by the queue): at submit the caller gets it,
 * and in a drain the job is logged with the reason and dropped, so one
 * poisoned job never holds back the jobs behind it.
 */
import { isUnreachable } from '../core/job-error.js';
import { BotError } from '../errors.js';
import {
  controlSink,
  type ChatJob,
  type CommandJob,
  type ControlJob,
  type EnqueueResult,
  type JobSink,
} from '../core/jobs.js';
import type { OutboxJournal } from './outbox-journal.js';

/** Jobs kept at most; with the gateway's other state this stays within a few MB. */
export const OUTBOX_LIMIT = 1_000;
/** First wait before trying the queue again, doubled up to the longest. */
const RETRY_FIRST_MS = 500;
const RETRY_LONGEST_MS = 5_000;

/** A kept job, as it is kept in memory and on disk. */
export type OutboxEntry =
  | { readonly kind: 'chat'; readonly job: ChatJob; readonly id?: string }
  | { readonly kind: 'command'; readonly job: CommandJob; readonly id: string };
type Entry = OutboxEntry;

export class OutboxFullError extends BotError {
  constructor() {
    super('outbox_full', `the queue is unreachable and ${OUTBOX_LIMIT} jobs already wait for it`, {
      retryable: true,
    });
  }
}

export interface OutboxLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export class Outbox implements JobSink {
  private readonly kept: Entry[] = [];
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private retryMs = RETRY_FIRST_MS;
  private closed = false;

  constructor(
    private readonly producer: JobSink,
    private readonly log: OutboxLog,
    private readonly limit = OUTBOX_LIMIT,
    /** Where kept jobs also go, so that they outlive this process. */
    private readonly journal?: OutboxJournal<Entry>,
  ) {}

  /**
   * Takes over the jobs gateways that are gone kept on disk, ahead of
   * anything new, and queues them as soon as the queue answers.
   */
  recover(): number {
    const orphans = this.journal?.claimOrphans() ?? [];
    if (orphans.length === 0) return 0;
    this.kept.unshift(...orphans);
    this.schedule();
    return orphans.length;
  }

  /** Jobs waiting for the queue. */
  get size(): number {
    return this.kept.length;
  }

  enqueueChat(job: ChatJob, eventId?: string): Promise<EnqueueResult> {
    return this.submit({ kind: 'chat', job, id: eventId });
  }

  enqueueCommand(job: CommandJob, interactionId: string): Promise<EnqueueResult> {
    return this.submit({ kind: 'command', job, id: interactionId });
  }

  /**
   * A button press goes to the queue or nowhere: kept for later it would act
   * on an answer long over (the person is told to press again).
   */
  enqueueControl(job: ControlJob, pressId: string): Promise<EnqueueResult> {
    return controlSink(this.producer).enqueueControl(job, pressId);
  }

  /** An earlier delivery of this event, kept here or in the queue. */
  async queuedChat(job: ChatJob, eventId?: string): Promise<EnqueueResult | undefined> {
    const id = eventId ?? job.messageId;
    const kept = this.kept.some(
      (e) =>
        e.kind === 'chat' && e.job.platform === job.platform && (e.id ?? e.job.messageId) === id,
    );
    if (kept) return { jobId: '', duplicate: true, kept: true };
    // While jobs are kept the queue was away at the last try: no round trip to
    // find out again (the producer drops a duplicate once it is back).
    if (this.kept.length > 0) return undefined;
    return this.producer.queuedChat?.(job, eventId);
  }

  /** The health check: fails while jobs wait for the queue. */
  async check(): Promise<void> {
    if (this.kept.length > 0)
      throw new Error(`${this.kept.length} jobs kept until the queue is reachable`);
  }

  /** Stops retrying; says how many jobs it could not queue, and whether they are on disk. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.kept.length === 0) return;
    if (this.journal)
      this.log.warn(
        { kept: this.kept.length },
        'stopping with jobs the queue never took: kept on disk for the next gateway',
      );
    else
      this.log.error(
        { kept: this.kept.length },
        'stopping with jobs the queue never took: they are lost',
      );
  }

  private async submit(entry: Entry): Promise<EnqueueResult> {
    // Behind jobs already kept: a conversation's questions reach the queue in order.
    if (this.kept.length === 0) {
      try {
        return await this.send(entry);
      } catch (error) {
        if (this.closed || !isUnreachable(error)) throw error;
        this.log.warn({ err: error }, 'the queue is unreachable; keeping jobs until it is back');
      }
    }
    if (this.kept.length >= this.limit) throw new OutboxFullError();
    this.kept.push(entry);
    try {
      this.journal?.append(entry);
    } catch (error) {
      this.log.warn({ err: error }, 'could not write a kept job to disk; it is kept in memory');
    }
    this.log.info({ kind: entry.kind, kept: this.kept.length }, 'job kept until the queue is back');
    this.schedule();
    return { jobId: '', duplicate: false, kept: true };
  }

  private send(entry: Entry): Promise<EnqueueResult> {
    return entry.kind === 'chat'
      ? this.producer.enqueueChat(entry.job, entry.id)
      : this.producer.enqueueCommand(entry.job, entry.id);
  }

  private schedule(): void {
    if (this.timer || this.draining || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draining = this.drain().finally(() => {
        this.draining = undefined;
        if (this.kept.length > 0) this.schedule();
      });
    }, this.retryMs);
  }

  private async drain(): Promise<void> {
    try {
      await this.drainKept();
    } finally {
      // What is left, on disk too (which also shows other gateways this one is alive).
      try {
        this.journal?.rewrite(this.kept);
      } catch (error) {
        this.log.warn({ err: error }, 'could not rewrite the kept jobs on disk');
      }
    }
  }

  private async drainKept(): Promise<void> {
    let sent = 0;
    while (this.kept.length > 0 && !this.closed) {
      const entry = this.kept[0]!;
      try {
        await this.send(entry);
        sent++;
      } catch (error) {
        if (isUnreachable(error)) {
          this.retryMs = Math.min(this.retryMs * 2, RETRY_LONGEST_MS);
          return;
        }
        // This job's own problem: dropping it beats blocking the rest.
        this.log.error(
          { err: error, kind: entry.kind, ...entryDetails(entry) },
          'dropping a kept job the queue refuses',
        );
      }
      this.kept.shift();
    }
    this.retryMs = RETRY_FIRST_MS;
    if (sent > 0) this.log.info({ sent }, 'the queue is back; kept jobs queued');
  }
}

/** What names a kept job in a log line (never its text). */
function entryDetails(entry: Entry): Record<string, string | undefined> {
  return entry.kind === 'chat'
    ? { platform: entry.job.platform, eventId: entry.id ?? entry.job.messageId }
    : { platform: entry.job.platform, command: entry.job.command, interactionId: entry.id };
}
