/**
 * The one sentence a gateway itself says about a question it did not queue:
 * a flood refusal, or the queue out of reach. The gateway writes through the
 * platform's surface and the shared budget like any worker, so a burst of
 * refusals neither takes the answers' budget by surprise nor earns a 429.
 */
import type { ChatJob } from './jobs.js';
import { FloodError } from './flood.js';
import { isUnreachable } from './job-error.js';
import { newTicket, settle, take, type RateBudget } from './rate-budget.js';
import { budgetBuckets } from './budget-buckets.js';
import type { ChatSurface } from './surface.js';
import { floodText, QUESTION_NOT_QUEUED } from './user-messages.js';

export interface NoticeDeps {
  readonly surface: Pick<ChatSurface, 'platform' | 'limits' | 'post'>;
  readonly budget: RateBudget;
  readonly log: {
    warn(details: object, message: string): void;
    error(details: object, message: string): void;
  };
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One flood refusal per person in this window: the rest of a flood is refused silently. */
export const REFUSAL_WINDOW_MS = 60_000;

/**
 * A question the gateway could not queue: logged (a flood refusal is logged
 * where it is decided), and its asker told why in one sentence, as a reply.
 * Never throws: a sentence that cannot be posted is logged.
 */
export async function notQueued(deps: NoticeDeps, job: ChatJob, error: unknown): Promise<void> {
  const where = { platform: job.platform, tenantId: job.tenantId, messageId: job.messageId };
  if (!(error instanceof FloodError))
    deps.log.error({ err: error, ...where }, 'could not enqueue a question');
  try {
    if (error instanceof FloodError && !(await firstRefusal(deps, job))) return;
    const text =
      error instanceof FloodError
        ? floodText(error.scope, error.retryAfterMs ?? 0)
        : QUESTION_NOT_QUEUED;
    await postNotice(deps, job, text);
  } catch (noticeError) {
    deps.log.warn({ err: noticeError, ...where }, 'could not tell the asker');
  }
}

async function firstRefusal(deps: NoticeDeps, job: ChatJob): Promise<boolean> {
  const bucket = {
    key: `flood-notice:${job.platform}:${job.author.id}`,
    spec: { points: 1, windowMs: REFUSAL_WINDOW_MS },
  };
  try {
    return (await deps.budget.tryTake([bucket], 'first')) <= 0;
  } catch {
    return true;
  }
}

/** Posts `text` in reply to the question, drawing on the budget of the question's channel. */
export async function postNotice(deps: NoticeDeps, job: ChatJob, text: string): Promise<void> {
  const { surface, budget } = deps;
  const buckets = budgetBuckets(surface, 'post', {
    channelId: job.channelId,
    tenantId: job.tenantId,
  });
  const post = () =>
    surface.post(job.channelId, text, { replyTo: job.replyTo, threadId: job.threadId });
  const ticket = newTicket();
  try {
    await take(budget, buckets, deps.sleep ?? sleep, 'first', ticket);
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    // The budget's store is away, so every worker's is too and none of them
    // is writing: the sentence goes out on the platform's own limits.
    deps.log.warn({ err: error }, 'posting a notice without the shared budget');
    await post();
    return;
  }
  try {
    await post();
  } finally {
    await settle(budget, buckets, ticket);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
