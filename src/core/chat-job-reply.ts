/** Where a chat job's reply goes, and the marks and notices it leaves outside an answer. */
import { budgetBuckets } from './budget-buckets.js';
import type { ChatJob, JobContext } from './jobs.js';
import { spend } from './rate-budget.js';
import { ReplyRenderer, type ReplyRendererOptions } from './reply-stream.js';
import { SurfaceError, type MessageRef, type ReplyTarget } from './surface.js';
import { INTERNAL } from './user-messages.js';
import { sleep, type ChatJobDeps } from './chat-job-deps.js';

/**
 * Marks a question that must wait for earlier ones in its conversation as
 * seen (or takes the mark away when its turn comes), where the platform has
 * such a mark. The mark is the question's first visible sign, so it has the
 * priority of an answer's first message, on a bucket of its own (reactions),
 * so it holds up no answer; taking it away can wait behind everything.
 */
export async function markQueued(
  job: ChatJob,
  deps: Pick<ChatJobDeps, 'surface' | 'budget'>,
  waiting: boolean,
): Promise<void> {
  const surface = deps.surface(job.platform, job.tenantId);
  if (!surface.markWaiting) return;
  const where = { channelId: job.channelId, tenantId: job.tenantId };
  const op = waiting ? 'mark' : 'unmark';
  const question = { channelId: job.channelId, threadId: job.threadId, messageId: job.messageId };
  await spend(
    deps.budget,
    budgetBuckets(surface, op, where),
    sleep,
    waiting ? 'first' : 'update',
    () => surface.markWaiting!(question, waiting),
  );
}

/**
 * A job the queue gave up on without running it to the end (its workers kept
 * dying): the reply it left behind says so instead of "Thinking…" forever,
 * through the budget, closing a native stream it left open first.
 */
export async function reportAbandonedChat(
  job: ChatJob,
  messages: readonly MessageRef[],
  deps: Pick<ChatJobDeps, 'surface' | 'budget' | 'log' | 'sleep'>,
  target?: ReplyTarget,
): Promise<void> {
  if (messages.length === 0) return;
  await replyTo(job, deps, {
    existing: messages,
    sleep: deps.sleep,
    // Its buttons go: nothing on it can be pressed any more.
    controls: { streaming: [], final: [] },
    ...(target ? { target } : {}),
  }).finish(INTERNAL);
}

/** Where the gateway said a question's answer goes. */
export function inPlace(job: ChatJob): ReplyTarget {
  return { channelId: job.channelId, threadId: job.threadId, replyTo: job.replyTo };
}

/**
 * Opens the thread a job asks for. A surface that cannot open one here (none
 * offered, no permission, a channel without threads) answers in place.
 */
export async function openThread(
  job: ChatJob,
  name: string,
  ctx: JobContext,
  deps: Pick<ChatJobDeps, 'surface' | 'budget' | 'log'>,
): Promise<ReplyTarget> {
  const surface = deps.surface(job.platform, job.tenantId);
  let target = inPlace(job);
  if (surface.startThread) {
    const question = { ...target, messageId: job.messageId };
    const where = { channelId: job.channelId, tenantId: job.tenantId };
    try {
      target = await spend(
        deps.budget,
        budgetBuckets(surface, 'thread', where),
        sleep,
        'first',
        () => surface.startThread!(question, name, { signal: ctx.signal }),
        ctx.signal,
      );
    } catch (error) {
      if (!(error instanceof SurfaceError) || error.retryable) throw error;
      deps.log.warn(
        { err: error, jobId: ctx.jobId },
        'could not open a thread for the answer; answering in place',
      );
    }
  }
  return target;
}

/** The renderer of a question's reply, where the gateway said it goes unless told otherwise. */
export function replyTo(
  job: ChatJob,
  deps: Pick<ChatJobDeps, 'surface' | 'budget' | 'log'>,
  options: Partial<ReplyRendererOptions>,
): ReplyRenderer {
  return new ReplyRenderer({
    surface: deps.surface(job.platform, job.tenantId),
    budget: deps.budget,
    target: inPlace(job),
    tenantId: job.tenantId,
    recipientId: job.author.id,
    ...(job.author.tenantId ? { recipientTenantId: job.author.tenantId } : {}),
    log: deps.log,
    ...options,
  });
}
