/**
 * Flood limits: how many questions one person, and one channel, may ask per
 * minute. Counted in the shared rate budget (Redis or Postgres), so every
 * gateway process sees the same counts. A question past a limit is not
 * queued: its author gets one polite sentence, the operator a log line and
 * `chutes_bot_answers_total{outcome="refused"}`.
 */
import { BotError } from '../errors.js';
import {
  controlSink,
  type ChatJob,
  type CommandJob,
  type ControlJob,
  type EnqueueResult,
  type JobSink,
} from './jobs.js';
import type { Metrics } from './metrics.js';
import type { BudgetBucket, RateBudget } from './rate-budget.js';

export interface FloodLimits {
  /** Questions one person may ask per minute, across channels; 0: no limit. */
  readonly perUser: number;
  /** Questions one channel may ask per minute, from everyone; 0: no limit. */
  readonly perChannel: number;
}

const WINDOW_MS = 60_000;

/** A question past a flood limit; the author is told `floodText` (user-messages.ts). */
export class FloodError extends BotError {
  constructor(
    readonly scope: 'user' | 'channel',
    retryAfterMs: number,
  ) {
    super('flood', `question refused: the ${scope}'s flood limit`, {
      retryable: true,
      retryAfterMs,
    });
  }
}

/**
 * The job sink, refusing questions past the flood limits before they are
 * queued. A redelivered event (the same event id) is told apart first, so it
 * costs no point and draws no refusal: one that overtakes its first delivery
 * in this process waits for it, one that comes later finds the job the first
 * became (`queuedChat`). A first delivery cannot skip the count: only a job
 * that exists, or a delivery of it under way, makes a duplicate. At worst,
 * two processes racing with the same event count it twice.
 */
export class FloodGuard implements JobSink {
  /** Deliveries under way in this process, by platform and event id. */
  private readonly inFlight = new Map<string, Promise<EnqueueResult>>();

  constructor(
    private readonly sink: JobSink,
    private readonly budget: RateBudget,
    private readonly limits: FloodLimits,
    private readonly metrics?: Pick<Metrics, 'refused'>,
    private readonly log?: { warn(details: object, message: string): void },
  ) {}

  async enqueueChat(job: ChatJob, eventId?: string): Promise<EnqueueResult> {
    const key = `${job.platform}\n${eventId ?? job.messageId}`;
    const earlier = this.inFlight.get(key);
    if (earlier) {
      try {
        return { ...(await earlier), duplicate: true };
      } catch (error) {
        // Refused: its first delivery told the asker; a redelivery adds nothing.
        if (error instanceof FloodError) return { jobId: '', duplicate: true };
        // It failed otherwise: this delivery tries again.
      }
    }
    const attempt = this.admit(job, eventId);
    this.inFlight.set(key, attempt);
    try {
      return await attempt;
    } finally {
      if (this.inFlight.get(key) === attempt) this.inFlight.delete(key);
    }
  }

  private async admit(job: ChatJob, eventId?: string): Promise<EnqueueResult> {
    // Where the store cannot say, the question goes on: the producer drops a duplicate.
    const queued = await this.sink.queuedChat?.(job, eventId).catch(() => undefined);
    if (queued) return queued;
    await this.checkLimits(job);
    return this.sink.enqueueChat(job, eventId);
  }

  /** Takes a point from the person's and the channel's buckets, both or neither. */
  private async checkLimits(job: ChatJob): Promise<void> {
    const buckets = this.buckets(job);
    if (buckets.length === 0) return;
    let waitMs: number;
    try {
      waitMs = await this.budget.tryTake(
        buckets.map(([, bucket]) => bucket),
        'first',
      );
    } catch (error) {
      // The budget's store is away: the question goes on (to the outbox), unlimited.
      this.log?.warn({ err: error }, 'could not check the flood limits');
      return;
    }
    if (waitMs <= 0) return;
    const scope = await this.fullScope(buckets);
    this.metrics?.refused(job.platform, 'chat');
    this.log?.warn(
      { platform: job.platform, scope, messageId: job.messageId },
      'question refused: flood limit',
    );
    throw new FloodError(scope, waitMs);
  }

  /**
   * Which limit refused the question. The person's first: one person's flood
   * should not be blamed on the channel.
   */
  private async fullScope(
    buckets: readonly ['user' | 'channel', BudgetBucket][],
  ): Promise<'user' | 'channel'> {
    const [first, second] = buckets;
    if (!second || !this.budget.wouldWait) return first![0];
    const wait = await this.budget.wouldWait(first![1]).catch(() => 1);
    return wait > 0 ? first![0] : second[0];
  }

  enqueueCommand(job: CommandJob, interactionId: string): Promise<EnqueueResult> {
    return this.sink.enqueueCommand(job, interactionId);
  }

  /** Button presses are not questions: no flood limit counts them. */
  enqueueControl(job: ControlJob, pressId: string): Promise<EnqueueResult> {
    return controlSink(this.sink).enqueueControl(job, pressId);
  }

  private buckets(job: ChatJob): ['user' | 'channel', BudgetBucket][] {
    const buckets: ['user' | 'channel', BudgetBucket][] = [];
    const { perUser, perChannel } = this.limits;
    if (perUser > 0)
      buckets.push([
        'user',
        {
          key: `flood:${job.platform}:user:${job.author.id}`,
          spec: { points: perUser, windowMs: WINDOW_MS },
        },
      ]);
    if (perChannel > 0)
      buckets.push([
        'channel',
        {
          key: `flood:${job.platform}:channel:${job.channelId}`,
          spec: { points: perChannel, windowMs: WINDOW_MS },
        },
      ]);
    return buckets;
  }
}
