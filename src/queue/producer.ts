import type { ChatJob, CommandJob, ControlJob, EnqueueResult } from '../core/jobs.js';
import type { JobQueue } from './backend.js';
import type { ConversationOrder } from './conversation-order.js';
import {
  chatJobSchema,
  commandJobSchema,
  CONTROL_JOB,
  controlJobSchema,
  jobIdFor,
  laneOf,
  ORDERED_COMMANDS,
} from './jobs.js';

/** Job options every job gets; retries honour Retry-After (see worker.ts). */
export function jobOptions(attempts: number) {
  return {
    attempts,
    backoff: { type: 'chutes' },
    // Completed jobs stay a while: their ids are what drops a redelivered event.
    removeOnComplete: { age: 3 * 24 * 3600 },
    // Failed jobs stay, with their reason, for an operator to read or retry.
    removeOnFail: false,
  } as const;
}

/** The gateway side of the queue: validates a job and enqueues it once. */
export class JobProducer {
  constructor(
    private readonly queues: { readonly chat: JobQueue; readonly commands: JobQueue },
    private readonly order: ConversationOrder,
    private readonly attempts: number,
  ) {}

  /**
   * Enqueues a chat job under an id derived from the platform event (its
   * `eventId`, by default the question's message id); a redelivery is dropped.
   * The job keeps when it arrived (`arrivedAt`), which says what history it
   * sees in a shared conversation, on every attempt.
   */
  async enqueueChat(job: ChatJob, eventId: string = job.messageId): Promise<EnqueueResult> {
    const data = chatJobSchema.parse({ ...job, arrivedAt: job.arrivedAt ?? Date.now() });
    const jobId = jobIdFor(data.platform, 'msg', eventId);
    // Registered before: a redelivery, unless the earlier delivery died
    // between registering and queueing; then this one queues it.
    if (
      !(await this.order.register(data.conversationKey, jobId, laneOf(data))) &&
      (await this.queues.chat.getJob(jobId))
    )
      return { jobId, duplicate: true };
    try {
      await this.queues.chat.add('chat', data, { ...jobOptions(this.attempts), jobId });
    } catch (error) {
      await this.order.unregister(data.conversationKey, jobId).catch(() => undefined);
      throw error;
    }
    return { jobId, duplicate: false };
  }

  /** The job an earlier delivery of this event became, if the queue has it. */
  async queuedChat(
    job: ChatJob,
    eventId: string = job.messageId,
  ): Promise<EnqueueResult | undefined> {
    const jobId = jobIdFor(job.platform, 'msg', eventId);
    return (await this.queues.chat.getJob(jobId)) ? { jobId, duplicate: true } : undefined;
  }

  /** Enqueues an acknowledged command under an id derived from the interaction; a redelivery is dropped. */
  async enqueueCommand(job: CommandJob, interactionId: string): Promise<EnqueueResult> {
    const data = commandJobSchema.parse(job);
    const jobId = jobIdFor(data.platform, 'cmd', interactionId);
    if (await this.queues.commands.getJob(jobId)) return { jobId, duplicate: true };
    // /forget waits for the conversation's running answers, or one of them
    // would store its exchange right after the history was cleared: it has
    // no lane, so it waits for every earlier job and every later one for it.
    // Registered but not queued (a delivery that died in between): queue it now.
    const ordered = ORDERED_COMMANDS.has(data.command);
    if (ordered) await this.order.register(data.conversationKey, jobId);
    try {
      await this.queues.commands.add(data.command, data, { ...jobOptions(this.attempts), jobId });
    } catch (error) {
      if (ordered) await this.order.unregister(data.conversationKey, jobId).catch(() => undefined);
      throw error;
    }
    return { jobId, duplicate: false };
  }

  /**
   * Enqueues a button press on the commands queue (it waits for no turn: a
   * Stop must reach the answer while it streams); a redelivery is dropped.
   */
  async enqueueControl(job: ControlJob, pressId: string): Promise<EnqueueResult> {
    const data = controlJobSchema.parse(job);
    const jobId = jobIdFor(data.platform, 'ctl', pressId);
    if (await this.queues.commands.getJob(jobId)) return { jobId, duplicate: true };
    await this.queues.commands.add(CONTROL_JOB, data, { ...jobOptions(this.attempts), jobId });
    return { jobId, duplicate: false };
  }
}
