/**
 * The Discord side of the core's ChatSurface and InteractionSurface, over REST
 * only: any worker can answer without holding the gateway websocket.
 */
import type { AttachmentRef } from '../../core/attachments/types.js';
import { fetchDiscordAttachment } from './attachments.js';
import { DiscordAPIError, REST, RESTEvents } from '@discordjs/rest';
import { createHash } from 'node:crypto';
import {
  ButtonStyle,
  ComponentType,
  MessageFlags,
  RESTJSONErrorCodes,
  Routes,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIThreadChannel,
  type RESTPostAPIChannelMessageResult,
  type RESTPostAPIChannelMessagesThreadsJSONBody,
} from 'discord-api-types/v10';
import { abortable } from '../../core/abortable.js';
import { clip } from '../../core/split.js';
import { scrub } from '../../log.js';
import type { RateLearning } from '../platform.js';
import { decodeDiscordInteraction } from './interaction-ref.js';
import { observe, TRANSIT_MARGIN_MS, withLearned } from './rate-headers.js';
import {
  SurfaceError,
  type ChatSurface,
  type InteractionRef,
  type InteractionSurface,
  type MessageRef,
  type CallOptions,
  type Control,
  type EditOptions,
  type PostOptions,
  type QuestionRef,
  type ReplyFile,
  type ReplyTarget,
  type SurfaceLimits,
} from '../../core/surface.js';

/**
 * Discord's limits (discord-api-docs: message resource, rate limits). The size
 * of the per-channel bucket is not published; 5 per 5 s is what it is seen to
 * be, and posts and edits in one channel answer with the same
 * X-RateLimit-Bucket, so they are budgeted together.
 */
/**
 * Discord's 50 requests a second per bot. The gateway's own calls at start
 * (command registration, gateway discovery) draw on it as `other`.
 */
const GLOBAL = { bucket: 'global', scope: 'bot', points: 50, windowMs: 1_000 } as const;
/**
 * Reactions have a bucket of their own: about one per 0.25 s per channel,
 * plus the margin for requests that arrive out of step (TRANSIT_MARGIN_MS).
 */
const REACTIONS = {
  bucket: 'reactions',
  scope: 'channel',
  points: 1,
  windowMs: 250 + TRANSIT_MARGIN_MS,
} as const;
const CHANNEL_WRITES = {
  bucket: 'messages',
  scope: 'channel',
  points: 5,
  windowMs: 5_000,
} as const;

/**
 * Threads started from messages: Discord publishes no number; 5 per 10 s per
 * channel keeps well inside what is seen. Learned from the headers when seen.
 */
const THREADS = { bucket: 'threads', scope: 'channel', points: 5, windowMs: 10_000 } as const;

export const DISCORD_LIMITS = {
  maxMessageLength: 2_000,
  maxUploadBytes: 10 * 1024 * 1024,
  rates: {
    post: [CHANNEL_WRITES, GLOBAL],
    edit: [CHANNEL_WRITES, GLOBAL],
    remove: [{ bucket: 'delete', scope: 'channel', points: 5, windowMs: 5_000 }, GLOBAL],
    mark: [REACTIONS, GLOBAL],
    unmark: [REACTIONS, GLOBAL],
    thread: [THREADS, GLOBAL],
    other: [GLOBAL],
  },
} as const satisfies SurfaceLimits;

/** What a question waiting for its turn shows. */
const WAITING_EMOJI = '⏳';

/** The model's text must not ping @everyone, roles or users. */
const NO_PINGS = { parse: [], replied_user: false } as const;

export function createDiscordRest(token: string, apiUrl: string): REST {
  return new REST({ api: apiUrl }).setToken(token);
}

export class DiscordSurface implements ChatSurface, InteractionSurface {
  readonly platform = 'discord';
  readonly adminsAre = 'members with the Manage Server permission';
  readonly controls = true;

  /**
   * With `learning`, every response's rate-limit headers are shared with all
   * processes, and the limits follow what Discord said rather than guesses.
   */
  constructor(
    private readonly rest: REST,
    private readonly learning?: RateLearning,
  ) {
    if (learning) {
      rest.on(RESTEvents.Response, (request, response) => {
        const seen = observe(request.method, request.route, response.headers);
        if (seen) learning.learn(seen.op, seen.rule);
      });
    }
  }

  /** From Discord's CDN, by the signed link the message carried. */
  fetchAttachment(_tenantId: string, file: AttachmentRef, signal: AbortSignal): Promise<Response> {
    return fetchDiscordAttachment(file, signal);
  }

  get limits(): SurfaceLimits {
    return this.learning ? withLearned(DISCORD_LIMITS, this.learning.rules()) : DISCORD_LIMITS;
  }

  async post(channelId: string, text: string, options?: PostOptions): Promise<MessageRef> {
    const body = {
      content: text,
      allowed_mentions: NO_PINGS,
      ...(options?.replyTo
        ? { message_reference: { message_id: options.replyTo, fail_if_not_exists: false } }
        : {}),
      ...(options?.idempotencyKey
        ? { nonce: nonceFor(options.idempotencyKey), enforce_nonce: true }
        : {}),
      ...(options?.controls?.length ? { components: buttonRows(options.controls) } : {}),
    };
    const message = (await call(
      () => this.rest.post(Routes.channelMessages(channelId), { body, signal: options?.signal }),
      options?.signal,
    )) as RESTPostAPIChannelMessageResult;
    return { channelId, messageId: message.id };
  }

  async edit(message: MessageRef, text: string, options?: EditOptions): Promise<void> {
    const controls = options?.controls;
    await call(
      () =>
        this.rest.patch(Routes.channelMessage(message.channelId, message.messageId), {
          body: {
            content: text,
            allowed_mentions: NO_PINGS,
            // Left out, the message keeps its buttons; an empty list takes them away.
            ...(controls ? { components: buttonRows(controls) } : {}),
          },
          signal: options?.signal,
        }),
      options?.signal,
    );
  }

  /**
   * A public thread started from the question. Discord gives it the
   * question's own id, and answers a second start with 160004: that is the
   * thread already opened (by an attempt that died before saving it).
   */
  async startThread(
    question: QuestionRef,
    name: string,
    options?: CallOptions,
  ): Promise<ReplyTarget> {
    const body: RESTPostAPIChannelMessagesThreadsJSONBody = {
      name: threadName(name),
    };
    try {
      const thread = (await call(
        () =>
          this.rest.post(Routes.threads(question.channelId, question.messageId), {
            body,
            signal: options?.signal,
          }),
        options?.signal,
      )) as APIThreadChannel;
      return { channelId: thread.id };
    } catch (error) {
      const cause = error instanceof SurfaceError ? error.cause : undefined;
      if (
        cause instanceof DiscordAPIError &&
        cause.code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage
      )
        return { channelId: question.messageId };
      throw error;
    }
  }

  /** An ⏳ reaction on a question that waits for its turn: its own bucket, not the messages'. */
  async markWaiting(question: QuestionRef, waiting: boolean): Promise<void> {
    const route = Routes.channelMessageOwnReaction(
      question.channelId,
      question.messageId,
      encodeURIComponent(WAITING_EMOJI),
    );
    await call(() => (waiting ? this.rest.put(route) : this.rest.delete(route)));
  }

  async remove(message: MessageRef, options?: CallOptions): Promise<void> {
    try {
      await call(
        () =>
          this.rest.delete(Routes.channelMessage(message.channelId, message.messageId), {
            signal: options?.signal,
          }),
        options?.signal,
      );
    } catch (error) {
      // Already gone is what we wanted.
      if (!(error instanceof SurfaceError && error.code === 'gone')) throw error;
    }
  }

  /** An ephemeral follow-up to a button press (acknowledged with a deferred update). */
  async whisper(interaction: InteractionRef, text: string): Promise<void> {
    const { applicationId, token } = decodeDiscordInteraction(interaction);
    await call(() =>
      this.rest.post(Routes.webhook(applicationId, token), {
        auth: false,
        body: {
          content: clip(text, this.limits.maxMessageLength),
          allowed_mentions: NO_PINGS,
          flags: MessageFlags.Ephemeral,
        },
      }),
    );
  }

  /**
   * Edits the deferred interaction answer (`@original`) through the webhook
   * route: it needs no bot auth and the token works for 15 minutes.
   */
  async respond(
    interaction: InteractionRef,
    reply: { text: string; file?: ReplyFile },
  ): Promise<void> {
    const { applicationId, token } = decodeDiscordInteraction(interaction);
    const file = reply.file;
    await call(() =>
      this.rest.patch(Routes.webhookMessage(applicationId, token, '@original'), {
        auth: false,
        body: {
          content: clip(reply.text, this.limits.maxMessageLength),
          allowed_mentions: NO_PINGS,
          ...(file ? { attachments: [{ id: 0, filename: file.name }] } : {}),
        },
        ...(file
          ? { files: [{ name: file.name, data: Buffer.from(file.bytes), contentType: file.mime }] }
          : {}),
      }),
    );
  }
}

/** Discord's button styles (discord-api-docs: component reference). */
const BUTTON_STYLE = {
  primary: ButtonStyle.Primary,
  secondary: ButtonStyle.Secondary,
  danger: ButtonStyle.Danger,
} as const;

/** At most 5 buttons in an action row (discord-api-docs: component reference). */
const BUTTONS_PER_ROW = 5;

/** Buttons as Discord's action rows. */
export function buttonRows(
  controls: readonly Control[],
): APIActionRowComponent<APIButtonComponent>[] {
  const rows: APIActionRowComponent<APIButtonComponent>[] = [];
  for (let start = 0; start < controls.length; start += BUTTONS_PER_ROW) {
    rows.push({
      type: ComponentType.ActionRow,
      components: controls.slice(start, start + BUTTONS_PER_ROW).map((control) => ({
        type: ComponentType.Button,
        style: BUTTON_STYLE[control.style ?? 'secondary'],
        label: control.label,
        custom_id: control.id,
      })),
    });
  }
  return rows;
}

/** Discord's thread names: 1 to 100 characters, on one line. */
const THREAD_NAME_LENGTH = 100;

/** A thread name from a question: one line, cut to Discord's length with an ellipsis. */
export function threadName(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim() || '…';
  const chars = [...line];
  return chars.length <= THREAD_NAME_LENGTH
    ? line
    : `${chars
        .slice(0, THREAD_NAME_LENGTH - 1)
        .join('')
        .trimEnd()}…`;
}

/** Discord nonces are at most 25 characters: a digest of the key fits. */
export function nonceFor(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 25);
}

/** Maps Discord's answers to the core's SurfaceError codes. */
/**
 * Runs one REST call; its failure becomes a SurfaceError. With a signal, the
 * call gives up at once when it aborts: discord.js may hold a request back for
 * its bucket without looking at the signal, but hands it to fetch with it, so
 * a request given up while held back is never sent.
 */
async function call<T>(request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  signal?.throwIfAborted();
  try {
    return await abortable(request(), signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toSurfaceError(error);
  }
}

export function toSurfaceError(error: unknown): SurfaceError {
  if (error instanceof DiscordAPIError) {
    // The path of a webhook route holds the interaction token.
    const path = scrub(new URL(error.url).pathname, []);
    const what = `Discord ${error.method.toUpperCase()} ${path}: ${error.status} ${error.code} ${error.message}`;
    if (error.status === 404) return new SurfaceError('gone', what, { cause: error });
    if (error.status === 403 || error.status === 401)
      return new SurfaceError('forbidden', what, { cause: error });
    if (error.status >= 400 && error.status < 500 && error.status !== 429) {
      return new SurfaceError('rejected', what, { cause: error });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SurfaceError('transient', `Discord request failed: ${message}`, { cause: error });
}
