/**
 * Flood limits: how many questions one person, and one channel, may ask per
 * minute. Counted in the shared rate budget (Redis or Postgres), so every
 * gateway process sees the same counts. A question past a limit is not
 * queued: its author gets one polite sentence, the operator a log line and
 * `chutes_bot_answers_total{outcome="refused"}`.
 */
import type { ChatJob, CommandJob, EnqueueResult, JobSink } from './jobs.js';
import type { Metrics } from './metrics.js';
import type { BudgetBucket, RateBudget } from './rate-budget.js';

export interface FloodLimits {
  /** Questions one person may ask per minute, across channels; 0: no limit. */
  readonly perUser: number;
  /** Questions one channel may ask per minute, from everyone; 0: no limit. */
  readonly perChannel: number;
}

const WINDOW_MS = 60_000;

/** A question past a flood limit; its message is what the author is told. */
export class FloodError extends Error {
  constructor(
    readonly scope: 'user' | 'channel',
    readonly retryAfterMs: number,
  ) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(
      scope === 'user'
        ? `🐢 You are asking faster than I can keep up with: please wait about ${seconds} s, then ask again.`
        : `🐢 This channel is asking faster than I can keep up with: please wait about ${seconds} s, then ask again.`,
    );
    this.name = 'FloodError';
  }
}

/** The job sink, refusing questions past the flood limits before they are queued. */
export class FloodGuard implements JobSink {
  constructor(
    private readonly sink: JobSink,
    private readonly budget: RateBudget,
    private readonly limits: FloodLimits,
    private readonly metrics?: Pick<Metrics, 'refused'>,
    private readonly log?: { warn(details: object, message: string): void },
  ) {}

  async enqueueChat(job: ChatJob, eventId?: string): Promise<EnqueueResult> {
    // The user first: one person's flood should not be blamed on the channel.
    for (const [scope, bucket] of this.buckets(job)) {
      let waitMs: number;
      try {
        waitMs = await this.budget.tryTake([bucket], 'first');
      } catch (error) {
        // The budget's store is away: the question goes on (to the outbox), unlimited.
        this.log?.warn({ err: error }, 'could not check the flood limits');
        break;
      }
      if (waitMs > 0) {
        this.metrics?.refused(job.platform, 'chat');
        this.log?.warn(
          { platform: job.platform, scope, messageId: job.messageId },
          'question refused: flood limit',
        );
        throw new FloodError(scope, waitMs);
      }
    }
    return this.sink.enqueueChat(job, eventId);
  }

  enqueueCommand(job: CommandJob, interactionId: string): Promise<EnqueueResult> {
    return this.sink.enqueueCommand(job, interactionId);
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
