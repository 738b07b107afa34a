/**
 * Handles a press of a button on an answer, on whichever worker takes it:
 * checks who pressed, then acts.
 *
 * - Stop (the asker or an admin) records the request where the worker
 *   streaming the answer looks (stop-watch.ts).
 * - Regenerate (the asker or an admin) queues the question again as a chat
 *   job that streams into the same messages and replaces the stored answer.
 * - 👍 / 👎 (anyone) records one vote per person per answer, changeable.
 *
 * A press on an answer that has ended (Stop), or that was replaced or
 * forgotten, gets one private sentence, as does a press by someone who may not.
 */
import type { ChatJob, ControlJob, JobSink } from '../jobs.js';
import type { AnswerStore, ConversationStore } from '../ports.js';
import type { Actor, SettingsSource } from '../settings/index.js';
import type { InteractionSurface, MessageRef } from '../surface.js';
import { CONTROL_NOT_YOURS, CONTROL_STALE, FEEDBACK_THANKS } from '../user-messages.js';
import type { FeedbackStore } from './feedback.js';
import type { StopStore } from './stop-watch.js';

/** Where an answer was shown, as its chat job knew it. */
export interface AnswerPlace {
  readonly messages?: readonly MessageRef[];
  /** The channel whose settings applied (a Discord thread's). */
  readonly parentChannelId?: string;
  /** Its conversation is shared (ChatJob.shared). */
  readonly shared?: boolean;
}

export interface ControlDeps {
  readonly interactions: (platform: string, tenantId: string) => InteractionSurface;
  readonly stops: Pick<StopStore, 'request'>;
  readonly store: Pick<ConversationStore, 'storedAnswer'>;
  readonly answers: AnswerStore;
  /** Where a regeneration's chat job goes. */
  readonly sink: Pick<JobSink, 'enqueueChat'>;
  /** Where an answer was shown, while the queue still knows its job. */
  readonly placeOf: (answerId: string) => Promise<AnswerPlace | undefined>;
  readonly feedback: FeedbackStore;
  readonly settings: Pick<SettingsSource, 'get'>;
  /** Counts votes (the core's Metrics port). */
  readonly metrics?: { feedback?(platform: string, value: 'up' | 'down'): void };
  readonly log: { info(details: object, message: string): void };
}

/** Who pressed, looked up where the gateway could not. */
async function whoPressed(job: ControlJob, surface: InteractionSurface): Promise<Actor> {
  if (!job.actorPending || !surface.person) return job.actor;
  return surface.person(job.tenantId, job.actor.id);
}

/** The asker, or an admin of the tenant. */
export function mayPress(job: Pick<ControlJob, 'askerId'>, actor: Actor): boolean {
  return actor.id === job.askerId || actor.isAdmin;
}

export async function handleControlJob(job: ControlJob, deps: ControlDeps): Promise<void> {
  const surface = deps.interactions(job.platform, job.tenantId);
  const tell = (text: string) => surface.whisper?.(job.interaction, text);
  const actor = await whoPressed(job, surface);
  if (job.action === 'up' || job.action === 'down') {
    await tell(await vote(job, actor, deps));
    return;
  }
  if (!mayPress(job, actor)) {
    await tell(CONTROL_NOT_YOURS);
    return;
  }
  if (job.action === 'stop') {
    // An answer already stored (or replaced since) has ended: nothing to stop any more.
    const ended =
      (await deps.store.storedAnswer(job.answerId)) !== undefined ||
      (await deps.answers.wasReplaced(job.answerId));
    if (ended) {
      await tell(CONTROL_STALE);
      return;
    }
    const first = await deps.stops.request(job.answerId, actor.id);
    deps.log.info({ answerId: job.answerId, by: actor.id, first }, 'answer stop requested');
    return;
  }
  const regenerated = await regenerate(job, deps);
  if (!regenerated) await tell(CONTROL_STALE);
  else
    deps.log.info({ answerId: job.answerId, by: actor.id, ...regenerated }, 'answer regenerating');
}

/**
 * Queues the question of a finished answer again; undefined when the answer
 * is not the conversation's any more (replaced, forgotten, never stored).
 */
async function regenerate(job: ControlJob, deps: ControlDeps) {
  const exchange = await deps.answers.exchangeOf(job.answerId);
  if (!exchange) return undefined;
  const place = await deps.placeOf(job.answerId);
  const messages = place?.messages?.filter(
    (message) => message.channelId === job.message.channelId,
  );
  const chat: ChatJob = {
    v: 1,
    platform: job.platform,
    tenantId: job.tenantId,
    conversationKey: exchange.conversationKey,
    channelId: job.message.channelId,
    ...(place?.parentChannelId ? { parentChannelId: place.parentChannelId } : {}),
    ...(job.message.threadId ? { threadId: job.message.threadId } : {}),
    // In a shared channel it waits only for its author's earlier questions, as a question would.
    ...(place?.shared ? { shared: true } : {}),
    messageId: exchange.question.messageId || job.message.messageId,
    author: { id: exchange.question.authorId, name: exchange.question.authorName },
    text: exchange.question.text,
    receivedAt: new Date().toISOString(),
    regenerates: {
      answerId: job.answerId,
      askedAt: exchange.askedAt,
      // Where the queue no longer knows them, the message pressed is the answer.
      messages: messages?.length
        ? messages.map(({ channelId, messageId }) => ({ channelId, messageId }))
        : [{ channelId: job.message.channelId, messageId: job.message.messageId }],
    },
  };
  const result = await deps.sink.enqueueChat(chat, `r${job.pressId}`);
  return { jobId: result.jobId, duplicate: result.duplicate };
}

/** Records a vote; returns the private sentence that answers it. */
async function vote(job: ControlJob, actor: Actor, deps: ControlDeps): Promise<string> {
  const value = job.action === 'up' ? 'up' : 'down';
  const exchange = await deps.answers.exchangeOf(job.answerId);
  if (!exchange) return CONTROL_STALE;
  const settings = await deps.settings.get(job.platform, job.tenantId, job.channelId);
  const changed = await deps.feedback.vote({
    answerId: job.answerId,
    platform: job.platform,
    tenantId: job.tenantId,
    userId: actor.id,
    value,
    settings,
    answer: exchange.answer,
  });
  if (changed) deps.metrics?.feedback?.(job.platform, value);
  return FEEDBACK_THANKS;
}
