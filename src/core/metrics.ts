/**
 * What the service tells its operators' monitoring, as a narrow port: the
 * core and the platforms report events through `Metrics`; `src/metrics.ts`
 * implements it with prom-client. Labels are bounded by construction: a
 * platform name, a model, a queue, an outcome or a status, never a user,
 * channel or server id.
 *
 * Most observations are made by decorators around the core's own ports
 * (the model, the conversation store, the job sink), so the jobs themselves
 * carry no metrics code.
 */
import type { ChatRequest, ChatStreamEvent } from '../chutes/chat-client.js';
import { ChutesError } from '../chutes/errors.js';
import type { ChatModel, ConversationStore, ImageModel, UsageRecord } from './ports.js';
import { controlSink, type JobSink } from './jobs.js';

export interface Metrics {
  /** A platform event became a job (`kind`: `chat` or the command's name). */
  event(platform: string, kind: string): void;
  /** A chat job or /imagine came to an end: its usage row, as stored. */
  usage(record: UsageRecord): void;
  /** A question or image refused before any model call (a quota). */
  refused(platform: string, kind: UsageRecord['kind']): void;
  /** How long a job waited in its queue before a worker first took it. */
  queueWait(queue: string, ms: number): void;
  /** A platform API answered (`status`: the HTTP status, 429 for rate limits). */
  platformRequest(platform: string, status: number): void;
  /** A Chutes call failed (`status`: the HTTP status, or the error code when there was none). */
  chutesError(status: string): void;
  /** A job attempt failed and will be tried again. */
  jobRetried(): void;
  /** A job failed for good (it stays in the failed set). */
  jobFailed(): void;
  /** A model stream opened (+1) or closed (-1). */
  activeStreams(delta: 1 | -1): void;
  /** Someone voted on an answer (a new or changed vote). */
  feedback?(platform: string, value: 'up' | 'down'): void;
  /** How many gateway shards (Discord's) this process holds now. */
  gatewayShards?(platform: string, count: number): void;
}

/** Observes nothing: the default where no monitoring is wired (unit tests, tools). */
export const NO_METRICS: Metrics = {
  event: () => undefined,
  usage: () => undefined,
  refused: () => undefined,
  queueWait: () => undefined,
  platformRequest: () => undefined,
  chutesError: () => undefined,
  jobRetried: () => undefined,
  jobFailed: () => undefined,
  activeStreams: () => undefined,
};

/** Outcomes that end an answer normally; anything else is a failure's code. */
const ANSWER_OUTCOMES = new Set(['ok', 'too_long', 'stopped', 'refused']);
const IMAGE_OUTCOMES = new Set(['ok', 'too_large', 'refused']);

/**
 * The outcome label of a usage row: failures are one `error` (their codes
 * are in `chutes_bot_chutes_errors_total` and the logs), so the label set stays small.
 */
export function outcomeLabel(kind: UsageRecord['kind'], outcome: string): string {
  const known = kind === 'chat' ? ANSWER_OUTCOMES : IMAGE_OUTCOMES;
  return known.has(outcome) ? outcome : 'error';
}

function statusOf(error: unknown): string | undefined {
  if (!(error instanceof ChutesError)) return undefined;
  return error.status === undefined ? error.code : String(error.status);
}

/** The chat model, counting open streams and Chutes' errors. */
export function observeChatModel(model: ChatModel, metrics: Metrics): ChatModel {
  return {
    async *streamChat(request: ChatRequest, signal?: AbortSignal): AsyncIterable<ChatStreamEvent> {
      metrics.activeStreams(1);
      try {
        yield* model.streamChat(request, signal);
      } catch (error) {
        const status = statusOf(error);
        if (status !== undefined) metrics.chutesError(status);
        throw error;
      } finally {
        metrics.activeStreams(-1);
      }
    },
  };
}

/** The image model, counting Chutes' errors. */
export function observeImageModel(model: ImageModel, metrics: Metrics): ImageModel {
  return {
    async generateImage(request, signal) {
      try {
        return await model.generateImage(request, signal);
      } catch (error) {
        const status = statusOf(error);
        if (status !== undefined) metrics.chutesError(status);
        throw error;
      }
    },
  };
}

/**
 * The conversation store, reporting every usage row it stores. A stored
 * exchange counts once it is committed (a failed save is retried by the
 * job, and counted then); a usage row alone is written at most once per
 * job and never retried, so it counts whether or not the write succeeded.
 */
export function observeStore(store: ConversationStore, metrics: Metrics): ConversationStore {
  return {
    history: (platform, conversationKey, limit, view) =>
      store.history(platform, conversationKey, limit, view),
    storedAnswer: (jobId) => store.storedAnswer(jobId),
    async saveExchange(job, jobId, answer, record) {
      const kept = await store.saveExchange(job, jobId, answer, record);
      // Another attempt stored its answer first: that one was counted.
      if (kept === answer) metrics.usage(record);
      return kept;
    },
    async recordUsage(record) {
      try {
        await store.recordUsage(record);
      } finally {
        metrics.usage(record);
      }
    },
  };
}

/** The job sink, counting every event that became a job (a redelivery is not counted). */
export function observeEvents(sink: JobSink, metrics: Metrics): JobSink {
  return {
    async enqueueChat(job, eventId) {
      const result = await sink.enqueueChat(job, eventId);
      if (!result.duplicate) metrics.event(job.platform, 'chat');
      return result;
    },
    async enqueueCommand(job, interactionId) {
      const result = await sink.enqueueCommand(job, interactionId);
      if (!result.duplicate) metrics.event(job.platform, job.command);
      return result;
    },
    ...(sink.queuedChat ? { queuedChat: (job, eventId) => sink.queuedChat!(job, eventId) } : {}),
    async enqueueControl(job, pressId) {
      const result = await controlSink(sink).enqueueControl(job, pressId);
      if (!result.duplicate) metrics.event(job.platform, `control.${job.action}`);
      return result;
    },
  };
}
