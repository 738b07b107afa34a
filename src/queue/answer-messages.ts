/**
 * The messages an answer was shown in, as its chat job left them in the
 * queue (its progress; a regeneration that posted nothing new shows in the
 * messages it was given). Completed jobs stay three days: after that, or
 * for a job the queue no longer has, undefined.
 */
import type { MessageRef } from '../core/surface.js';
import type { JobQueue } from './backend.js';
import { chatJobSchema, readProgress } from './jobs.js';

export function answerMessages(
  chat: Pick<JobQueue, 'getJob'>,
): (answerId: string) => Promise<readonly MessageRef[] | undefined> {
  return async (answerId) => {
    const job = await chat.getJob(answerId);
    if (!job) return undefined;
    const { messages } = readProgress(job.progress);
    if (messages.length > 0) return messages;
    const data = chatJobSchema.safeParse(job.data);
    return data.success ? data.data.regenerates?.messages : undefined;
  };
}
