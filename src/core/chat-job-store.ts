/** How a chat job's attempt ends: the exchange stored, a stop or a failure reported, usage recorded. */
import { ChutesError } from '../chutes/errors.js';
import {
  classifyFailure,
  isUnreachable,
  OUTAGE_PATIENCE_MS,
  toJobError,
  type JobError,
} from './job-error.js';
import type { ChatJob, JobContext } from './jobs.js';
import { NO_BALANCE } from './payment-notice.js';
import type { ConversationStore, UsageRecord } from './ports.js';
import type { ReplyRenderer } from './reply-stream.js';
import { SurfaceError } from './surface.js';
import { estimatedCompletionTokens } from './usage.js';
import {
  CUT_OFF,
  EMPTY_ANSWER,
  RETRYING,
  RETRYING_OTHER,
  STOPPED,
  userMessageFor,
} from './user-messages.js';
import { sleep, type ChatJobDeps } from './chat-job-deps.js';

/** Where an attempt stands when it ends early. */
export interface AttemptState {
  readonly ctx: JobContext;
  readonly deps: ChatJobDeps;
  readonly renderer: ReplyRenderer;
  /** What the model wrote so far. */
  readonly answer: string;
  readonly usage: Omit<UsageRecord, 'durationMs' | 'outcome'>;
  readonly started: number;
  readonly now: () => number;
}

/**
 * The user stopped the answer on the platform: the model call was aborted,
 * the reply keeps what was written and says it was stopped, and what the
 * user saw is what the conversation remembers.
 */
export async function finishStopped(
  x: AttemptState & { job: ChatJob; lead: string },
): Promise<void> {
  const shown = x.lead + (x.answer.trim() === '' ? STOPPED : `${x.answer}\n\n${STOPPED}`);
  await storeExchange(x.job, x.ctx, x.deps, x.answer, () => x.renderer.finish(shown), {
    ...x.usage,
    ...estimatedCompletionTokens(x.answer),
    durationMs: x.now() - x.started,
    outcome: 'stopped',
  });
  await x.ctx.answered?.();
  await x.renderer.finish(shown);
  x.deps.log.info({ jobId: x.ctx.jobId, chars: x.answer.length }, 'answer stopped by the user');
}

/**
 * Stores an answer the user has seen. While the database cannot be reached
 * the reply shows the answer in full (`showMeanwhile`) and the store is
 * tried again, up to the outage patience: calling the model again would pay
 * for the answer twice. Returns the answer stored for the job.
 */
export async function storeExchange(
  job: ChatJob,
  ctx: JobContext,
  deps: ChatJobDeps,
  answer: string,
  showMeanwhile: () => Promise<unknown>,
  usage: UsageRecord,
): Promise<string> {
  const now = deps.now ?? Date.now;
  const giveUpAt = now() + OUTAGE_PATIENCE_MS;
  for (let tries = 1; ; tries++) {
    // A worker that lost the job stores nothing: the one that took over does.
    ctx.signal?.throwIfAborted();
    try {
      return await deps.store.saveExchange(job, ctx.jobId, answer, usage);
    } catch (error) {
      if (!isUnreachable(error) || now() >= giveUpAt) throw error;
      if (tries === 1) {
        deps.log.warn(
          { err: error, jobId: ctx.jobId },
          'could not store an answer yet; keeping it until the database is back',
        );
        await showMeanwhile().catch(() => undefined);
      }
      await (deps.sleep ?? sleep)(Math.min(STORE_RETRY_MS * tries, STORE_RETRY_MAX_MS));
    }
  }
}

const STORE_RETRY_MS = 500;
const STORE_RETRY_MAX_MS = 3_000;

/** What the reply shows for a model's answer: an empty one, or one cut off at max_tokens, says so. */
export function shownText(answer: string, finishReason?: string): string {
  const text = answer.trim() === '' ? EMPTY_ANSWER : answer;
  return finishReason === 'length' ? `${text}\n\n${CUT_OFF}` : text;
}

export async function reportFailure(error: unknown, x: AttemptState): Promise<JobError> {
  const failure = classifyFailure(error, x.ctx);
  const partial = x.answer.trim() === '' ? '' : `${x.answer}\n\n`;
  if (!(error instanceof SurfaceError && !error.retryable)) {
    const retrying = error instanceof ChutesError ? RETRYING : RETRYING_OTHER;
    const notice = failure.final ? userMessageFor(error, x.usage.model) : retrying;
    try {
      await x.renderer.finish(partial + notice, []);
    } catch (renderError) {
      x.deps.log.warn(
        { err: renderError, jobId: x.ctx.jobId },
        'could not show the failure to the user',
      );
    }
  }
  if (failure.code === NO_BALANCE)
    x.deps.payments?.note(x.usage.platform, x.usage.tenantId, x.usage.model);
  if (failure.final) {
    await recordUsageBestEffort(
      x.deps.store,
      { ...x.usage, durationMs: x.now() - x.started, outcome: failure.code },
      x.deps.log,
    );
  }
  return toJobError(error, failure);
}

/**
 * Records usage; losing the row must neither hide a failure nor fail a job
 * whose answer is already shown (a retry would pay for it twice).
 */
export async function recordUsageBestEffort(
  store: Pick<ConversationStore, 'recordUsage'>,
  usage: UsageRecord,
  log: ChatJobDeps['log'],
): Promise<void> {
  try {
    await store.recordUsage(usage);
  } catch (storeError) {
    log.warn({ err: storeError, jobId: usage.jobId }, 'could not record usage');
  }
}
