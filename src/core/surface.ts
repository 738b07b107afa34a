/**
 * The port every chat platform implements. The core reaches Discord, Slack or
 * any other platform only through this interface; platform types never cross it.
 */

/** A request budget: at most `points` operations in any `windowMs` window. */
export interface RateSpec {
  readonly points: number;
  readonly windowMs: number;
}

/** What a platform allows, declared as data; the core reads these, never hard-codes them. */
export interface SurfaceLimits {
  /** Longest message the platform accepts, in characters (UTF-16 code units). */
  readonly maxMessageLength: number;
  /** Edits of messages in one channel. */
  readonly editRate: RateSpec;
  /** New messages in one channel. */
  readonly postRate: RateSpec;
  /** Every request of the bot, all channels together. */
  readonly globalRate: RateSpec;
  /** Largest file the platform takes in one upload, in bytes. */
  readonly maxUploadBytes: number;
}

/** Where a message lives: enough for the platform to edit or delete it later. Plain JSON. */
export interface MessageRef {
  readonly channelId: string;
  readonly messageId: string;
}

export interface PostOptions {
  /** Message this one answers (a Discord reply, a Slack thread parent). */
  readonly replyTo?: string;
  /**
   * Unique to this message of this job. A platform that can (Discord's
   * enforced nonce) answers a repeated post with the first message instead of
   * a second one: a crash between posting and saving progress leaves no duplicate.
   */
  readonly idempotencyKey?: string;
}

export interface ChatSurface {
  /** Platform name, used to namespace rate budgets and stored rows ("discord", "slack"). */
  readonly platform: string;
  readonly limits: SurfaceLimits;
  post(channelId: string, text: string, options?: PostOptions): Promise<MessageRef>;
  edit(message: MessageRef, text: string): Promise<void>;
  remove(message: MessageRef): Promise<void>;
}

/**
 * A platform call that failed. `permanent` failures (the channel is gone, the
 * bot lost its permissions) will not heal by retrying; others may.
 */
export class SurfaceError extends Error {
  readonly code: 'gone' | 'forbidden' | 'rejected' | 'transient';
  readonly permanent: boolean;

  constructor(code: SurfaceError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SurfaceError';
    this.code = code;
    this.permanent = code !== 'transient';
  }
}

/**
 * A platform's handle on a command invocation that was acknowledged in time
 * (Discord: interaction token; Slack: response_url). Opaque to the core; plain JSON.
 */
export type InteractionRef = Readonly<Record<string, string | number>>;

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
}
