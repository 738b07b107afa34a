/**
 * Handles one ChatJob end to end: history and settings in, a streamed answer
 * out, the exchange and its usage stored. Runs once per attempt; a retry after
 * a crash continues in the same messages and never asks the model twice for
 * an answer it already stored.
 */
import {
  fallbacksFor,
  IMAGE_TOKENS,
  withAttachments,
  withImages,
  withLead,
} from './attachments/index.js';
import { contextLengthOf, fitHistory, HISTORY_FIT } from './history-fit.js';
import { streamWithFallback } from './model-fallback.js';
import type { ChatJob, JobContext } from './jobs.js';
import { ThinkingAnswer } from './reasoning/thinking-answer.js';
import { answerControls } from './controls/reply-controls.js';
import type { StopWatch } from './controls/stop-watch.js';
import { modelList } from './settings/index.js';
import type { ChatJobDeps } from './chat-job-deps.js';
import { lookUp } from './chat-lookups.js';
import {
  finishStopped,
  reportFailure,
  shownText,
  storeExchange,
  type AttemptState,
} from './chat-job-store.js';
import { inPlace, markQueued, openThread, replyTo } from './chat-job-reply.js';
import type { ReplyTarget } from './surface.js';
import { answerTokens, estimatedCompletionTokens, estimatedPromptTokens } from './usage.js';
import {
  EMPTY_PROMPT,
  fallbackNote,
  PLACEHOLDER,
  TOO_LONG,
  questionTooLongText,
} from './user-messages.js';

export type { ChatJobDeps } from './chat-job-deps.js';
export { recordUsageBestEffort } from './chat-job-store.js';
export { markQueued, reportAbandonedChat } from './chat-job-reply.js';

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
    const surface = deps.surface(job.platform, job.tenantId);
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
