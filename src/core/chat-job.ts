/**
 * Handles one ChatJob end to end: history and settings in, a streamed answer
 * out, the exchange and its usage stored. Runs once per attempt; a retry after
 * a crash continues in the same messages and never asks the model twice for
 * an answer it already stored.
 */
import { ChutesError } from '../chutes/errors.js';
import {
  fallbacksFor,
  IMAGE_TOKENS,
  withAttachments,
  withImages,
  withLead,
  type ModalityLookup,
} from './attachments/index.js';
import { contextLengthOf, fitHistory, HISTORY_FIT } from './history-fit.js';
import { streamWithFallback } from './model-fallback.js';
import { NO_BALANCE, type PaymentNotices } from './payment-notice.js';
import { tokenCounter } from './token-count.js';
import {
  classifyFailure,
  isUnreachable,
  OUTAGE_PATIENCE_MS,
  toJobError,
  type JobError,
} from './job-error.js';
import { settingsChannel, type ChatJob, type JobContext } from './jobs.js';
import type { ChatModel, ConversationStore, HistoryView, UsageRecord } from './ports.js';
import type { Quotas } from './quota.js';
import { spend, type RateBudget } from './rate-budget.js';
import { budgetBuckets } from './budget-buckets.js';
import { ThinkingAnswer } from './reasoning/thinking-answer.js';
import { ReplyRenderer, type ReplyRendererOptions } from './reply-stream.js';
import { answerControls } from './controls/reply-controls.js';
import type { StopWatch } from './controls/stop-watch.js';
import { modelList, type SettingsSource } from './settings/index.js';
import { SurfaceError, type ChatSurface, type MessageRef, type ReplyTarget } from './surface.js';
import { answerTokens, estimatedCompletionTokens, estimatedPromptTokens } from './usage.js';
import {
  CUT_OFF,
  EMPTY_ANSWER,
  EMPTY_PROMPT,
  fallbackNote,
  INTERNAL,
  PLACEHOLDER,
  RETRYING,
  RETRYING_OTHER,
  STOPPED,
  TOO_LONG,
  questionTooLongText,
  userMessageFor,
} from './user-messages.js';

export interface ChatJobDeps {
  readonly surface: (platform: string) => ChatSurface;
  readonly budget: RateBudget;
  readonly model: ChatModel;
  readonly store: ConversationStore;
  readonly settings: SettingsSource;
  /** Daily quotas; unset: none are checked. */
  readonly quotas?: Pick<Quotas, 'refusal'>;
  /** Where a used-up Chutes balance is logged, once per tenant per period; unset: not logged. */
  readonly payments?: Pick<PaymentNotices, 'note'>;
  readonly history: {
    readonly tokenBudget: number;
    readonly maxMessages: number;
    /**
     * A model's context length as the models list gives it; unset, or where
     * it gives none, HISTORY_FIT.defaultContextLength (see history-fit.ts).
     */
    readonly contextLength?: (model: string) => Promise<number | undefined>;
  };
  /** Which models take images (the models list); unset: none is sent images. */
  readonly models?: ModalityLookup;
  readonly log: {
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where Stop presses reach this answer; unset: answers carry no buttons. */
  readonly stops?: Pick<StopWatch, 'watch'>;
}

export async function handleChatJob(
  queued: ChatJob,
  ctx: JobContext,
  deps: ChatJobDeps,
): Promise<void> {
  // Named once the answer is underway (see withNames); until then, as queued.
  let job = queued;
  const now = deps.now ?? Date.now;
  // Ends the model call when nobody will read the rest: the user stopped the
  // answer, the reply cannot be written, or it reached the page cap.
  const abort = new AbortController();
  const tooLong = new Error('the answer reached the page cap');
  const renderTo = (target: ReplyTarget) =>
    replyTo(job, deps, {
      target,
      idempotencyKey: ctx.jobId,
      // A regeneration streams into the answer it replaces.
      existing: ctx.progress.length > 0 ? ctx.progress : (job.regenerates?.messages ?? []),
      onMessages: (messages) => ctx.saveProgress(messages),
      onGiveUp: (reason) => abort.abort(reason === 'too_long' ? tooLong : reason),
      tooLongNote: TOO_LONG,
      signal: ctx.signal,
      controls: deps.stops && answerControls(job.author.id, ctx.jobId),
    });
  // Until a thread is opened for it, the answer goes where the gateway said.
  let renderer = renderTo(ctx.target ?? inPlace(job));

  const started = now();
  // The model is known once the settings are read.
  let usage: AttemptState['usage'] = {
    jobId: ctx.jobId,
    kind: 'chat',
    platform: job.platform,
    tenantId: job.tenantId,
    userId: job.author.id,
    userName: job.author.name,
    model: '',
  };
  let answer = '';
  // What the reply says above the answer about the question's files.
  let lead = '';
  // The question as the history keeps it: with its files' text and a note per image.
  let asStored = job;
  let stopButton: ReturnType<StopWatch['watch']> | undefined;
  // Every step, from the first lookup on, is inside the path that tells the
  // user on the final attempt: nothing leaves a reply on "Thinking…".
  try {
    if (job.text.trim() === '' && !job.attachments?.length) {
      // Nothing to answer (and so never an answer stored for it).
      await renderer.finish(EMPTY_PROMPT, []);
      return;
    }
    const storedLookup = deps.store.storedAnswer(ctx.jobId);
    // Under a burst every lookup waits for a database connection: they all go
    // at once, not one after another. Unused when the answer is stored already.
    const lookups = lookUp(job, deps);
    lookups.catch(() => undefined);
    // The placeholder, the lookups and then the model call go at once: no
    // one waits for the platform, and the placeholder waits for no lookup.
    // A placeholder that fails is retried by the final render, or ends the
    // call. A retry that posted messages before shows them until it knows
    // whether its answer is stored already.
    if (job.newThread && !ctx.target) {
      const target = await openThread(job, job.newThread.name, ctx, deps);
      // Whatever happens next is told there, even if saving the thread fails.
      renderer = renderTo(target);
      // Saved before anything is posted there: a retry continues in it.
      await ctx.saveTarget?.(target);
    }
    const fresh = ctx.progress.length === 0;
    if (fresh) renderer.start(PLACEHOLDER).catch(() => undefined);
    const stored = await storedLookup;
    if (stored !== undefined) {
      // An earlier attempt got the answer and stored it, then died before showing all of it.
      await renderer.finish(shownText(stored));
      return;
    }

    if (ctx.waited) {
      // Its turn came: the "waiting" mark goes, without holding up the answer.
      void markQueued(job, deps, false).catch((error: unknown) =>
        deps.log.warn({ err: error, jobId: ctx.jobId }, 'could not take the waiting mark away'),
      );
    }
    if (!fresh) renderer.start(PLACEHOLDER).catch(() => undefined);
    const { settings, named, history, contextLength, count } = await lookups;
    job = named;
    usage = { ...usage, model: settings.model, userName: job.author.name };
    const refused = await deps.quotas?.refusal(
      'chat',
      job.platform,
      job.tenantId,
      settings,
      job.author.id,
    );
    if (refused !== undefined) {
      await renderer.finish(refused, []);
      return;
    }
    const surface = deps.surface(job.platform);
    const asked = await withAttachments(job, settings, {
      fetch: surface.fetchAttachment
        ? (file, signal) => surface.fetchAttachment!(job.tenantId, file, signal)
        : undefined,
      models: deps.models,
      signal: ctx.signal,
      log: deps.log,
    });
    // vision_model may answer instead of the chat model: its context counts.
    const model = asked.model;
    const context =
      model === settings.model ? contextLength : await contextLengthOf(model, deps.history);
    usage = { ...usage, model };
    asStored = { ...job, text: asked.stored };
    lead = asked.lead;
    if (asked.text.trim() === '' && asked.images.length === 0) {
      // Only files, and none of them could be read: nothing to answer.
      await renderer.finish(lead + EMPTY_PROMPT, []);
      return;
    }
    const fit = fitHistory({
      systemPrompt: settings.systemPrompt,
      history,
      current: { authorName: job.author.name, content: asked.text },
      historyBudget: deps.history.tokenBudget,
      // The images take their share of the context too.
      contextLength: context - asked.images.length * IMAGE_TOKENS,
      answerTokens: settings.sampling.max_tokens ?? HISTORY_FIT.answerTokens,
      count,
    });
    if (!fit.fits) {
      // No model call: a shorter question is the user's to send.
      deps.log.info(
        { jobId: ctx.jobId, model, contextLength: context },
        'question too long for the model',
      );
      await renderer.finish(lead + questionTooLongText(model, fit), []);
      return;
    }
    const { messages } = fit;
    usage = { ...usage, ...estimatedPromptTokens(messages) };
    let firstTokenAt: number | undefined;
    let finishReason: string | undefined;
    let tokens: { prompt: number; completion: number } | undefined;
    // Another model's answer says so; its usage counts against the model that answered.
    let note = '';
    stopButton = deps.stops?.watch(ctx.jobId);
    const modelSignal = AbortSignal.any(
      [abort.signal, ctx.signal, stopButton?.signal].filter((signal) => signal !== undefined),
    );
    // A reasoning model's thinking is shown as such, never as (or stored with) the answer.
    const reply = new ThinkingAnswer(withLead(renderer, lead), {
      model,
      showReasoning: settings.showReasoning,
      now,
    });
    for await (const event of streamWithFallback(
      deps.model,
      { model, messages: withImages(messages, asked.images), ...settings.sampling },
      {
        fallbacks: await fallbacksFor(
          modelList(settings.fallbackModels),
          asked.images.length > 0,
          deps.models,
        ),
        signal: modelSignal,
        sleep: deps.sleep,
        onFallback: (used) => {
          usage = { ...usage, model: used.model };
          note = `\n\n${fallbackNote(used)}`;
          deps.log.info({ jobId: ctx.jobId, ...used }, 'a fallback model answers');
        },
        onSkipped: (model, err) =>
          deps.log.warn(
            { jobId: ctx.jobId, model, err },
            'a fallback model failed; trying the next',
          ),
      },
    )) {
      if (event.type === 'delta' || event.type === 'reasoning') {
        firstTokenAt ??= now();
        reply.take(event);
        answer = reply.answer;
      } else if (event.type === 'finish') {
        finishReason = event.reason;
      } else {
        tokens = { prompt: event.promptTokens, completion: event.completionTokens };
      }
    }

    reply.end();
    answer = reply.answer;
    const shown = lead + reply.prefix + shownText(answer, finishReason) + note;
    const kept = await storeExchange(asStored, ctx, deps, answer, () => renderer.finish(shown), {
      ...usage,
      ...answerTokens(tokens, usage, answer),
      timeToFirstTokenMs: firstTokenAt === undefined ? undefined : firstTokenAt - started,
      durationMs: now() - started,
      outcome: 'ok',
    });
    await ctx.answered?.();
    // What the conversation remembers is what the reply shows, even where two
    // workers raced to store this job's answer.
    await renderer.finish(kept === answer ? shown : lead + shownText(kept));
    deps.log.info(
      {
        jobId: ctx.jobId,
        model: usage.model,
        chars: answer.length,
        tokens,
        ms: now() - started,
      },
      'answered',
    );
  } catch (error) {
    // Stopped from outside (lock lost, shutdown): not a failure to tell anyone about.
    if (ctx.signal?.aborted) throw error;
    if (renderer.stopped || stopButton?.signal.aborted) {
      await finishStopped({
        job: asStored,
        ctx,
        deps,
        renderer,
        answer,
        usage,
        started,
        now,
        lead,
      });
      return;
    }
    if (error === tooLong) {
      // The renderer ends the last page it keeps with a note saying so.
      await storeExchange(asStored, ctx, deps, answer, () => renderer.finish(lead + answer), {
        ...usage,
        ...estimatedCompletionTokens(answer),
        durationMs: now() - started,
        outcome: 'too_long',
      });
      await ctx.answered?.();
      await renderer.finish(lead + answer);
      return;
    }
    throw await reportFailure(error, {
      ctx,
      deps,
      renderer,
      answer: lead + answer,
      usage,
      started,
      now,
    });
  } finally {
    stopButton?.close();
  }
}

/**
 * What an answer needs besides the question: the settings, the names, the
 * history, and what it takes to fit the history to the model.
 */
async function lookUp(job: ChatJob, deps: ChatJobDeps) {
  const read = deps.settings.get(job.platform, job.tenantId, settingsChannel(job));
  const [settings, named, history, contextLength, count] = await Promise.all([
    read,
    withNames(job, deps),
    deps.store.history(
      job.platform,
      job.conversationKey,
      deps.history.maxMessages,
      historyView(job),
    ),
    read.then((settings) => contextLengthOf(settings.model, deps.history)),
    tokenCounter(),
  ]);
  return { settings, named, history, contextLength, count };
}

/**
 * What a question of a shared conversation sees of it: what was stored when
 * it arrived, plus its author's own exchanges (undefined: strict order, all).
 */
function historyView(job: ChatJob): HistoryView | undefined {
  if (job.regenerates)
    return {
      arrivedAt: job.arrivedAt ?? 0,
      authorId: job.author.id,
      before: job.regenerates.askedAt,
    };
  return job.shared && job.arrivedAt !== undefined
    ? { arrivedAt: job.arrivedAt, authorId: job.author.id }
    : undefined;
}

/**
 * Names the people the gateway left as ids (it makes no platform call before
 * acknowledging an event): the author, and `@<id>` in the text. Best effort:
 * whoever cannot be looked up keeps their id.
 */
async function withNames(job: ChatJob, deps: ChatJobDeps): Promise<ChatJob> {
  const surface = deps.surface(job.platform);
  if (!job.unnamed?.length || !surface.names) return job;
  let names: ReadonlyMap<string, string>;
  try {
    names = await surface.names(job.tenantId, job.unnamed);
  } catch (error) {
    deps.log.warn({ err: error }, 'could not look up the names in a question');
    return job;
  }
  let text = job.text;
  for (const [id, name] of names) {
    const mention = new RegExp(`@${id.replace(/\W/g, '\\$&')}(?!\\w)`, 'g');
    text = text.replace(mention, () => `@${name}`);
  }
  const { unnamed: _named, ...rest } = job;
  return {
    ...rest,
    text,
    author: { ...job.author, name: names.get(job.author.id) ?? job.author.name },
  };
}

/** Where an attempt stands when it ends early. */
interface AttemptState {
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
async function finishStopped(x: AttemptState & { job: ChatJob; lead: string }): Promise<void> {
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
async function storeExchange(
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
function shownText(answer: string, finishReason?: string): string {
  const text = answer.trim() === '' ? EMPTY_ANSWER : answer;
  return finishReason === 'length' ? `${text}\n\n${CUT_OFF}` : text;
}

async function reportFailure(error: unknown, x: AttemptState): Promise<JobError> {
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  const surface = deps.surface(job.platform);
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
function inPlace(job: ChatJob): ReplyTarget {
  return { channelId: job.channelId, threadId: job.threadId, replyTo: job.replyTo };
}

/**
 * Opens the thread a job asks for. A surface that cannot open one here (none
 * offered, no permission, a channel without threads) answers in place.
 */
async function openThread(
  job: ChatJob,
  name: string,
  ctx: JobContext,
  deps: Pick<ChatJobDeps, 'surface' | 'budget' | 'log'>,
): Promise<ReplyTarget> {
  const surface = deps.surface(job.platform);
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
function replyTo(
  job: ChatJob,
  deps: Pick<ChatJobDeps, 'surface' | 'budget' | 'log'>,
  options: Partial<ReplyRendererOptions>,
): ReplyRenderer {
  return new ReplyRenderer({
    surface: deps.surface(job.platform),
    budget: deps.budget,
    target: inPlace(job),
    tenantId: job.tenantId,
    recipientId: job.author.id,
    log: deps.log,
    ...options,
  });
}
