/**
 * The port every chat platform implements. The core reaches Discord, Slack or
 * any other platform only through this interface; platform types never cross it.
 */
import type { AttachmentRef } from './attachments/types.js';
import { BotError } from '../errors.js';
import type { Actor } from './settings/index.js';

/**
 * Which calls one budget covers: those into one channel, those of one tenant
 * (a Slack workspace's per-method tiers), or every call of the bot.
 */
export type RateScope = 'channel' | 'tenant' | 'bot';

/** A request budget: at most `points` operations in any `windowMs` window. */
export interface RateSpec {
  readonly points: number;
  readonly windowMs: number;
}

/** At most `points` calls in any `windowMs` window, per `scope`. */
export interface RateRule extends RateSpec {
  /**
   * Names the budget. Operations that list rules with the same bucket and
   * scope draw from one budget (Discord: every request of the bot).
   */
  readonly bucket: string;
  readonly scope: RateScope;
}

/** The calls that are budgeted (`other`: anything else a platform adapter sends). */
export type SurfaceOp =
  | 'post'
  | 'edit'
  | 'remove'
  | 'streamStart'
  | 'streamAppend'
  | 'streamStop'
  | 'status'
  | 'mark'
  | 'unmark'
  | 'thread'
  /** An assistant thread's title (Slack's AI-app split view). */
  | 'threadTitle'
  /** The prompts an assistant thread offers when it starts. */
  | 'threadPrompts'
  | 'other';

/** What a platform allows, declared as data; the core reads these, never hard-codes them. */
export interface SurfaceLimits {
  /** Longest message the platform accepts, in characters (UTF-16 code units). */
  readonly maxMessageLength: number;
  /** Largest file the platform takes in one upload, in bytes. */
  readonly maxUploadBytes: number;
  /** The rate rules each operation must pass; an operation without rules is not budgeted. */
  readonly rates: Readonly<Partial<Record<SurfaceOp, readonly RateRule[]>>>;
}

/** Where a message lives: enough for the platform to edit or delete it later. Plain JSON. */
export interface MessageRef {
  readonly channelId: string;
  readonly messageId: string;
  /** The message was opened as a native stream (it may still be streaming after a crash). */
  readonly stream?: boolean;
}

/** Where an answer goes, as the gateway decided it. Plain JSON. */
export interface ReplyTarget {
  readonly channelId: string;
  /** The thread the answer goes in (a Slack thread); unset: the channel itself. */
  readonly threadId?: string;
  /** The message the answer replies to, where the platform has replies (Discord). */
  readonly replyTo?: string;
}

export interface PostOptions {
  /** Message this one answers (a Discord reply). */
  readonly replyTo?: string;
  /** Thread to post in (a Slack thread's parent ts). */
  readonly threadId?: string;
  /**
   * Unique to this message of this job. A platform that can (Discord's
   * enforced nonce) answers a repeated post with the first message instead of
   * a second one: a crash between posting and saving progress leaves no duplicate.
   */
  readonly idempotencyKey?: string;
  /** Once aborted, the call gives up (where the platform's client can: a queued or sent request). */
  readonly signal?: AbortSignal;
  /** Buttons the message carries (none when unset). */
  readonly controls?: readonly Control[];
}

/**
 * A button on an answer (Stop, Regenerate, 👍, 👎). `id` is built by
 * core/controls/control-id.ts and comes back with the press.
 */
export interface Control {
  readonly id: string;
  readonly label: string;
  readonly style?: 'primary' | 'secondary' | 'danger';
}

/** An edit: with `controls`, the message's buttons become these (an empty list takes them away). */
export interface EditOptions extends CallOptions {
  readonly controls?: readonly Control[];
}

/** What any write may take: the job's signal, so that a stopped job stops waiting for the platform. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Whom a native stream is for and where it goes. */
export interface StreamTarget extends ReplyTarget {
  readonly tenantId: string;
  /** The person who asked (Slack streams outside DMs name their recipient). */
  readonly recipientId: string;
  /** The asker's own tenant where it is not `tenantId` (Slack Connect); unset: `tenantId`. */
  readonly recipientTenantId?: string;
}

/**
 * A platform's own append-only stream of one message (Slack's
 * chat.startStream / appendStream / stopStream). The core paces it, budgets
 * it and owns the fallback; the adapter only makes the calls.
 *
 * A call the platform refuses for this stream (not enabled, not allowed here,
 * closed by the platform) throws SurfaceError `stream_refused`: the core then
 * continues by post + edit in the same message. The user stopping the stream
 * throws `stopped`.
 */
export interface NativeStream {
  /**
   * Shows that an answer is on its way before any text exists: `status`, or
   * the platform's own "is thinking…" (may be called again with a new status).
   */
  pending?(status?: string): Promise<void>;
  /** Opens the stream with its first text. */
  start(text: string): Promise<MessageRef>;
  append(message: MessageRef, text: string): Promise<void>;
  /**
   * Ends the stream; `tail` is appended first (it does not replace the text).
   * `controls`: buttons the finished message carries at its end.
   */
  stop(message: MessageRef, tail: string, controls?: readonly Control[]): Promise<void>;
}

export interface ChatSurface {
  /** Platform name, used to namespace rate budgets and stored rows ("discord", "slack"). */
  readonly platform: string;
  readonly limits: SurfaceLimits;
  /**
   * The platform shows buttons on posted and edited messages (`controls` of
   * post and edit); unset: they are not offered.
   */
  readonly controls?: boolean;
  post(channelId: string, text: string, options?: PostOptions): Promise<MessageRef>;
  edit(message: MessageRef, text: string, options?: EditOptions): Promise<void>;
  remove(message: MessageRef, options?: CallOptions): Promise<void>;
  /**
   * A native stream where the platform offers one for this target; undefined
   * means "not here": the core streams by post + edit.
   */
  openStream?(target: StreamTarget): NativeStream | undefined;
  /**
   * Shows on a question that it was seen and waits for its turn (Discord: an
   * ⏳ reaction; Slack: the thread's status), or takes that away. Cosmetic,
   * and chosen so it costs the answers nothing: it must not draw on the
   * budget of posts and edits (its own operations are `mark` and `unmark`).
   */
  markWaiting?(question: QuestionRef, waiting: boolean): Promise<void>;
  /**
   * Rewrites untrusted text (the model's) so that it notifies nobody here,
   * where the platform cannot be told so per message (Discord can, with
   * `allowed_mentions`; Slack cannot). Must be prefix-stable: `mute(a + b)`
   * starts with `mute(a)`, so the appends of a stream add up to the muted whole.
   */
  mute?(text: string): string;
  /**
   * Opens a thread on a question for its answer and the conversation that
   * follows (Discord: a thread started from the message, named `name`), and
   * says where the thread's messages go. Asking again for the same question
   * gives the same thread, never a second one: a retried job may ask twice.
   * Budgeted as the operation `thread`.
   */
  startThread?(question: QuestionRef, name: string, options?: CallOptions): Promise<ReplyTarget>;
  /** Display names of people in a tenant, by id; whoever cannot be found is left out. */
  names?(tenantId: string, userIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /**
   * Fetches a file attached to a question (ChatJob.attachments) with what the
   * platform needs (Slack: the bot token); the core reads the body with its caps.
   */
  fetchAttachment?(tenantId: string, file: AttachmentRef, signal: AbortSignal): Promise<Response>;
}

/** A question someone asked: where it is, and where its answer goes. */
export interface QuestionRef extends ReplyTarget {
  readonly messageId: string;
}

/**
 * A platform call that failed. Failures that are not `retryable` (the channel
 * is gone, the bot lost its permissions, the user stopped the answer) will not
 * heal by retrying; the others may. `still_streaming` is an edit of a message whose native
 * stream is still open (left by a crashed attempt): the core closes the stream
 * and edits again. `stream_refused` is the platform declining a native
 * stream, which the core answers with post + edit.
 */
export class SurfaceError extends BotError {
  declare readonly code:
    | 'gone'
    | 'forbidden'
    | 'rejected'
    | 'stopped'
    | 'stream_refused'
    | 'still_streaming'
    | 'transient';

  constructor(code: SurfaceError['code'], message: string, options?: { cause?: unknown }) {
    super(code, message, {
      cause: options?.cause,
      retryable: code === 'transient' || code === 'stream_refused' || code === 'still_streaming',
    });
  }
}

declare const interactionRefBrand: unique symbol;

/**
 * A platform's handle on a command invocation that was acknowledged in time
 * (Discord: interaction token; Slack: response_url). Opaque to the core: each
 * platform builds and reads its own in one module
 * (`src/platforms/<platform>/interaction-ref.ts`). At run time a flat object
 * of strings, plain JSON in a job.
 */
export type InteractionRef = { readonly [interactionRefBrand]: true };

/** The fields of an interaction reference; for the platforms' interaction-ref modules and the job schema. */
export type InteractionFields = Readonly<Record<string, string>>;

/** Wraps a platform's checked fields as the opaque reference (the fields themselves, as JSON). */
export function toInteractionRef(fields: InteractionFields): InteractionRef {
  return { ...fields } as unknown as InteractionRef;
}

export interface ReplyFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly mime: string;
}

/** The port through which the core answers commands (/imagine, /settings, /forget). */
export interface InteractionSurface {
  readonly platform: string;
  readonly limits: SurfaceLimits;
  /** Who counts as an admin here, for messages: "members with the Manage Server permission". */
  readonly adminsAre: string;
  /** Replaces the acknowledged ("thinking…") answer with the result. */
  respond(interaction: InteractionRef, reply: { text: string; file?: ReplyFile }): Promise<void>;
  /** Who someone is in a tenant, for a command whose gateway did not look them up. */
  person?(tenantId: string, userId: string): Promise<Actor>;
  /**
   * A line only the person who pressed a button sees (Discord: an ephemeral
   * follow-up; Slack: an ephemeral `response_url` answer), leaving the
   * message with the button as it is.
   */
  whisper?(interaction: InteractionRef, text: string): Promise<void>;
}
