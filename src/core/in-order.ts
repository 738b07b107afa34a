/**
 * Hands a conversation's questions on in the order they arrived. A gateway
 * handles events concurrently, and each question takes a few round trips
 * (a redelivery check, the flood limits, the queue) before its place in its
 * conversation is registered: without this, a later question whose trips were
 * quicker would be answered first. In a shared conversation only each
 * author's questions keep their order (each author waits for no one else).
 */
import {
  controlSink,
  type ChatJob,
  type CommandJob,
  type ControlJob,
  type EnqueueResult,
  type JobSink,
} from './jobs.js';

export class InOrder implements JobSink {
  /** The last question of each conversation still on its way, by conversation. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly sink: JobSink) {}

  enqueueChat(job: ChatJob, eventId?: string): Promise<EnqueueResult> {
    const key = `${job.platform}\n${job.conversationKey}${job.shared ? `\n${job.author.id}` : ''}`;
    const before = this.tails.get(key);
    const mine = (before ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.sink.enqueueChat(job, eventId));
    this.tails.set(key, mine);
    // The line is forgotten once nothing waits in it, so the map stays small.
    void mine
      .catch(() => undefined)
      .then(() => {
        if (this.tails.get(key) === mine) this.tails.delete(key);
      });
    return mine;
  }

  enqueueCommand(job: CommandJob, interactionId: string): Promise<EnqueueResult> {
    return this.sink.enqueueCommand(job, interactionId);
  }

  enqueueControl(job: ControlJob, pressId: string): Promise<EnqueueResult> {
    return controlSink(this.sink).enqueueControl(job, pressId);
  }

  queuedChat(job: ChatJob, eventId?: string): Promise<EnqueueResult | undefined> {
    return this.sink.queuedChat?.(job, eventId) ?? Promise.resolve(undefined);
  }

  /** Conversations with a question on its way (for tests). */
  get pending(): number {
    return this.tails.size;
  }
}
