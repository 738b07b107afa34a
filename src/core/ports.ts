/**
 * The ports the core's jobs reach the outside through, in one place: the
 * model, the stores, the catalogue of models. Adapters (src/chutes, src/db,
 * src/metrics.ts) implement them; this module imports no job, so nothing
 * that implements or decorates a port imports a job back.
 */
import type { ChatRequest, ChatStreamEvent } from '../chutes/chat-client.js';
import type { GeneratedImage, ImageRequest } from '../chutes/image-client.js';
import type { ModelInfo } from '../chutes/model-info.js';
import type { StoredMessage } from './conversation.js';
import type { ConversationKey } from './conversation-key.js';
import type { ChatJob } from './jobs.js';
import type {
  Actor,
  EffectiveSettings,
  SettingChanges,
  SettingsSource,
  StoredLayers,
} from './settings/index.js';

export interface ChatModel {
  streamChat(request: ChatRequest, signal?: AbortSignal): AsyncIterable<ChatStreamEvent>;
}

export interface UsageRecord {
  readonly jobId: string;
  readonly kind: 'chat' | 'image';
  readonly platform: string;
  readonly tenantId: string;
  readonly userId: string;
  /** The user's name as the platform showed it, for /usage. */
  readonly userName?: string;
  readonly model: string;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** The model sent no usage: the token counts are estimates (core/usage.ts). */
  readonly tokensEstimated?: boolean;
  readonly timeToFirstTokenMs?: number;
  readonly durationMs: number;
  readonly outcome: string;
}

/**
 * What a question of a shared conversation sees (ChatJob.shared): the
 * exchanges stored before it arrived, and all of its author's own.
 */
export interface HistoryView {
  /** When the question arrived (ChatJob.arrivedAt, ms since the epoch). */
  readonly arrivedAt: number;
  readonly authorId: string;
  /**
   * A regeneration: only the exchanges asked before this moment (ms since
   * the epoch: when the regenerated question was first asked).
   */
  readonly before?: number;
}

/** Where conversations and usage are kept (Postgres in production). */
export interface ConversationStore {
  /**
   * The conversation's latest `limit` messages, oldest first; with a view,
   * only those it sees, in the order of their questions. The same view gives
   * the same messages on every attempt of a job.
   */
  history(
    platform: string,
    conversationKey: ConversationKey,
    limit: number,
    view?: HistoryView,
  ): Promise<StoredMessage[]>;
  /** The answer a job already stored, if an earlier attempt got that far. */
  storedAnswer(jobId: string): Promise<string | undefined>;
  /**
   * Stores question, answer and usage together, and returns the answer stored
   * for the job: a second call for the same job changes nothing and returns
   * the first one's answer.
   */
  saveExchange(job: ChatJob, jobId: string, answer: string, usage: UsageRecord): Promise<string>;
  recordUsage(usage: UsageRecord): Promise<void>;
}

/** Whether the store holds any exchange in a conversation: a gateway's cheap question. */
export interface ConversationPresence {
  hasExchange(platform: string, conversationKey: ConversationKey): Promise<boolean>;
}

export interface ImageModel {
  generateImage(request: ImageRequest, signal?: AbortSignal): Promise<GeneratedImage>;
}

/**
 * Where settings are read and changed (Postgres in production): for the whole
 * tenant, or for one channel of it when `channelId` is given.
 */
export interface SettingsAdmin extends SettingsSource {
  /** What the tenant stored for itself and for `channelId`. */
  layers(platform: string, tenantId: string, channelId?: string): Promise<StoredLayers>;
  apply(
    platform: string,
    tenantId: string,
    changes: SettingChanges,
    actor: Actor,
    channelId?: string,
  ): Promise<EffectiveSettings>;
  reset(
    platform: string,
    tenantId: string,
    actor: Actor,
    channelId?: string,
  ): Promise<EffectiveSettings>;
}

/** The chat models Chutes serves, to check a `model` setting against. */
export interface ModelCatalog {
  chatModels(): Promise<readonly string[]>;
  /** Each chat model with its input modalities, prices and context length, as listed. */
  modelInfos(): Promise<readonly ModelInfo[]>;
}

/** An exchange as stored, found by its answer's id (a regeneration asks its question again). */
export interface StoredExchange {
  readonly answerId: string;
  readonly platform: string;
  readonly tenantId: string;
  readonly conversationKey: ConversationKey;
  readonly answer: string;
  /** When the question arrived (ms since the epoch). */
  readonly askedAt: number;
  readonly question: {
    readonly text: string;
    readonly authorId: string;
    readonly authorName: string;
    /** The question's own message id on the platform. */
    readonly messageId: string;
  };
}

/** The exchanges the buttons on answers act on. */
export interface AnswerStore {
  /** The exchange whose answer is stored under `answerId` now; undefined: none. */
  exchangeOf(answerId: string): Promise<StoredExchange | undefined>;
  /** The answer was replaced by a regeneration. */
  wasReplaced(answerId: string): Promise<boolean>;
}
