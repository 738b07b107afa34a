import type { Queue } from 'bullmq';
import type { ChatJob } from '../core/jobs.js';
import type { ConversationOrder } from './conversation-order.js';
import { chatJobSchema, jobIdFor } from './jobs.js';

/** Job options every chat job gets; retries honour Retry-After (see worker.ts). */
export function chatJobOptions(attempts: number) {
  return {
    attempts,
    backoff: { type: 'chutes' },
    // Completed jobs stay a while: their ids are what drops a redelivered event.
    removeOnComplete: { age: 3 * 24 * 3600 },
    // Failed jobs stay, with their reason, for an operator to read or retry.
    removeOnFail: false,
  } as const;
}

export type EnqueueResult = { readonly jobId: string; readonly duplicate: boolean };

/** The gateway side of the queue: validates a job and enqueues it once. */
export class JobProducer {
  constructor(
    private readonly chatQueue: Queue,
    private readonly order: ConversationOrder,
    private readonly attempts: number,
  ) {}

  /** Enqueues a chat job under an id derived from the platform event; a redelivery is dropped. */
  async enqueueChat(job: ChatJob): Promise<EnqueueResult> {
    const data = chatJobSchema.parse(job);
    const jobId = jobIdFor(data.platform, 'msg', data.messageId);
    if (!(await this.order.register(data.conversationKey, jobId)))
      return { jobId, duplicate: true };
    try {
      await this.chatQueue.add('chat', data, { ...chatJobOptions(this.attempts), jobId });
    } catch (error) {
      await this.order.release(data.conversationKey, jobId);
      throw error;
    }
    return { jobId, duplicate: false };
  }
}
