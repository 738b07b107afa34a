/**
 * Where an answer was shown, as its chat job left it in the queue: the
 * messages (its progress; a regeneration that posted nothing new shows in the
 * messages it was given), the channel whose settings applied, and whether
 * its conversation is shared. Completed jobs stay three days: after that, or
 * for a job the queue no longer has, undefined.
 */
import type { AnswerPlace } from '../core/controls/control-job.js';
import type { JobQueue } from './backend.js';
import { chatJobSchema, readProgress } from './jobs.js';

export function answerPlaces(
  chat: Pick<JobQueue, 'getJob'>,
): (answerId: string) => Promise<AnswerPlace | undefined> {
  return async (answerId) => {
    const job = await chat.getJob(answerId);
    if (!job) return undefined;
    const data = chatJobSchema.safeParse(job.data);
    const { messages } = readProgress(job.progress);
    if (!data.success) return messages.length > 0 ? { messages } : undefined;
    const { parentChannelId, shared, regenerates } = data.data;
    return {
      messages: messages.length > 0 ? messages : regenerates?.messages,
      ...(parentChannelId ? { parentChannelId } : {}),
      ...(shared ? { shared } : {}),
    };
  };
}
