/**
 * The Slack side of the core's ChatSurface and InteractionSurface, over the
 * Web API only: any worker can answer without holding the event connection.
 * The Web API client takes no AbortSignal: a call already sent finishes, and
 * the renderer makes none after its job is stopped.
 */
import type { WebClient } from '@slack/web-api';
import { clip } from '../../core/split.js';
import type { Actor } from '../../core/settings/index.js';
import {
  SurfaceError,
  type ChatSurface,
  type InteractionRef,
  type Control,
  type EditOptions,
  type InteractionSurface,
  type MessageRef,
  type NativeStream,
  type PostOptions,
  type QuestionRef,
  type ReplyFile,
  type StreamTarget,
  type SurfaceLimits,
} from '../../core/surface.js';
import type { AttachmentRef } from '../../core/attachments/types.js';
import { fetchSlackFile } from './files.js';
import { controlBlocks } from './control-blocks.js';
import { call, slackErrorCode, toSurfaceError } from './errors.js';
import { decodeSlackInteraction } from './interaction-ref.js';
import { toMrkdwn } from './markdown.js';
import { SlackPeople } from './people.js';
import { botTokenOf } from './tenant-client.js';
import { muteMentions } from './text.js';

const MINUTE = 60_000;
const perWorkspace = (method: string, points: number) =>
  ({ bucket: method, scope: 'tenant', points, windowMs: MINUTE }) as const;

/**
 * Slack's limits (docs.slack.dev rate-limits; chat.* method pages). Tiers are
 * per method per workspace; chat.postMessage is about one a second per channel.
 */
export const SLACK_LIMITS = {
  /** `markdown_text` takes 12,000 characters per message (cumulative for a stream). */
  maxMessageLength: 12_000,
  maxUploadBytes: 1024 * 1024 * 1024,
  rates: {
    post: [{ bucket: 'chat.postMessage', scope: 'channel', points: 1, windowMs: 1_000 }],
    edit: [perWorkspace('chat.update', 50)],
    remove: [perWorkspace('chat.delete', 50)],
    streamStart: [perWorkspace('chat.startStream', 20)],
    streamAppend: [perWorkspace('chat.appendStream', 100)],
    streamStop: [perWorkspace('chat.stopStream', 20)],
    status: [perWorkspace('assistant.threads.setStatus', 50)],
    mark: [perWorkspace('assistant.threads.setStatus', 50)],
    // Tier 4 (docs.slack.dev assistant.threads.setTitle, .setSuggestedPrompts).
    threadTitle: [perWorkspace('assistant.threads.setTitle', 100)],
    threadPrompts: [perWorkspace('assistant.threads.setSuggestedPrompts', 100)],
  },
} as const satisfies SurfaceLimits;

/** What the thread shows while the model has not written anything yet. */
const PENDING_STATUS = 'is thinking…';
const WAITING_STATUS = 'will answer after the question before this one…';

/** Direct-message channel ids start with D; there Slack streams without naming a recipient. */
const isDirect = (channelId: string) => channelId.startsWith('D');

export class SlackSurface implements ChatSurface, InteractionSurface {
  readonly platform = 'slack';
  readonly limits: SurfaceLimits = SLACK_LIMITS;
  readonly adminsAre = 'workspace admins and owners';
  readonly controls = true;
  /**
   * Slack has no per-message switch for notifications: every text the bot
   * writes has its would-be mention tokens muted (the renderer mutes the
   * whole answer before cutting it into stream appends; each call here mutes
   * again, which changes nothing in muted text).
   */
  readonly mute = muteMentions;

  private readonly people: SlackPeople;

  constructor(
    private readonly client: WebClient,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.people = new SlackPeople(client);
  }

  /** From `url_private`, with the bot token (scope `files:read`). */
  async fetchAttachment(
    _tenantId: string,
    file: AttachmentRef,
    signal: AbortSignal,
  ): Promise<Response> {
    const token = await botTokenOf(this.client);
    return fetchSlackFile(file, token, this.client.slackApiUrl, signal, this.fetchImpl);
  }

  /** users.info, remembered for a minute per process: a command's actor the gateway did not look up. */
  async person(_tenantId: string, userId: string): Promise<Actor> {
    const { id, name, isAdmin } = await this.people.get(userId);
    return { id, name, isAdmin };
  }

  /** users.info, remembered for a minute per process (the gateway names nobody itself). */
  names(_tenantId: string, userIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return this.people.names(userIds);
  }

  async post(channelId: string, text: string, options?: PostOptions): Promise<MessageRef> {
    const result = await this.withPlainFallback(
      'chat.postMessage',
      text,
      options?.controls,
      (body) =>
        this.client.chat.postMessage({
          channel: channelId,
          ...(options?.threadId ? { thread_ts: options.threadId } : {}),
          ...body,
          unfurl_links: false,
          unfurl_media: false,
        }),
    );
    return { channelId, messageId: result.ts! };
  }

  /** chat.update replaces the whole message: without `controls` it has no buttons afterwards. */
  async edit(message: MessageRef, text: string, options?: EditOptions): Promise<void> {
    await this.withPlainFallback('chat.update', text, options?.controls, (body) =>
      this.client.chat.update({ channel: message.channelId, ts: message.messageId, ...body }),
    );
  }

  async remove(message: MessageRef): Promise<void> {
    try {
      await call('chat.delete', () =>
        this.client.chat.delete({ channel: message.channelId, ts: message.messageId }),
      );
    } catch (error) {
      // Already gone is what we wanted.
      if (!(error instanceof SurfaceError && error.code === 'gone')) throw error;
    }
  }

  /**
   * A question waiting for its turn in a thread says so in the thread's
   * status; the answer's own status replaces it, so there is nothing to
   * take away (and no `unmark` budget). Elsewhere nothing shows.
   */
  async markWaiting(question: QuestionRef, waiting: boolean): Promise<void> {
    const threadId = question.threadId;
    if (!waiting || !threadId) return;
    await call('assistant.threads.setStatus', () =>
      this.client.assistant.threads.setStatus({
        channel_id: question.channelId,
        thread_ts: threadId,
        status: WAITING_STATUS,
      }),
    );
  }

  /**
   * Slack streams only as a reply in a thread, or in a DM; a top-level answer
   * in a channel posts and updates instead.
   */
  openStream(target: StreamTarget): NativeStream | undefined {
    const { channelId, threadId } = target;
    const direct = isDirect(channelId);
    if (!threadId && !direct) return undefined;
    const client = this.client;
    return {
      pending: threadId
        ? async (status) => {
            await call('assistant.threads.setStatus', () =>
              client.assistant.threads.setStatus({
                channel_id: channelId,
                thread_ts: threadId,
                status: status ?? PENDING_STATUS,
              }),
            );
          }
        : undefined,
      async start(text) {
        const result = await call(
          'chat.startStream',
          () =>
            client.chat.startStream({
              channel: channelId,
              markdown_text: muteMentions(text),
              // Documented as needed outside DMs; bot tokens are refused without them in DMs too.
              recipient_user_id: target.recipientId,
              // Slack Connect: the asker's own workspace, not the channel owner's.
              recipient_team_id: target.recipientTenantId ?? target.tenantId,
              // A DM's running conversation streams at the top level.
              ...(threadId ? { thread_ts: threadId } : {}),
            } as Parameters<WebClient['chat']['startStream']>[0]),
          true,
        );
        return { channelId, messageId: result.ts! };
      },
      async append(message, text) {
        await call(
          'chat.appendStream',
          () =>
            client.chat.appendStream({
              channel: message.channelId,
              ts: message.messageId,
              markdown_text: muteMentions(text),
            }),
          true,
        );
      },
      async stop(message, tail, controls) {
        // Text given to stopStream is appended, never a replacement; blocks go at the end.
        await call(
          'chat.stopStream',
          () =>
            client.chat.stopStream({
              channel: message.channelId,
              ts: message.messageId,
              ...(tail ? { markdown_text: muteMentions(tail) } : {}),
              ...(controls?.length ? { blocks: controlBlocks(controls) } : {}),
            } as Parameters<WebClient['chat']['stopStream']>[0]),
          true,
        );
      },
    };
  }

  /**
   * Answers a slash command. Text goes through its `response_url`, which
   * takes mrkdwn (not `markdown_text`) and answers only the person who asked.
   * A file is uploaded into the channel (files.uploadV2) with the text as its
   * comment, and the "Generating…" answer is removed.
   */
  async respond(
    interaction: InteractionRef,
    reply: { text: string; file?: ReplyFile },
  ): Promise<void> {
    const { responseUrl, channelId } = decodeSlackInteraction(interaction);
    if (!reply.file) {
      await this.postResponse(responseUrl, {
        response_type: 'ephemeral',
        replace_original: true,
        text: clip(toMrkdwn(muteMentions(reply.text)), 3_000),
      });
      return;
    }
    const file = reply.file;
    await call('files.uploadV2', () =>
      this.client.filesUploadV2({
        channel_id: channelId,
        file: Buffer.from(file.bytes),
        filename: file.name,
        title: file.name,
        initial_comment: toMrkdwn(muteMentions(reply.text)),
      }),
    );
    // The image is what matters; a stale "Generating…" is only cosmetic.
    await this.postResponse(responseUrl, { delete_original: true }).catch(() => undefined);
  }

  /** A line only the person who pressed a button sees; the message stays as it is. */
  async whisper(interaction: InteractionRef, text: string): Promise<void> {
    const { responseUrl } = decodeSlackInteraction(interaction);
    await this.postResponse(responseUrl, {
      response_type: 'ephemeral',
      replace_original: false,
      text: clip(toMrkdwn(muteMentions(text)), 3_000),
    });
  }

  private async postResponse(url: string, body: object): Promise<void> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new SurfaceError('transient', 'Slack response_url unreachable', { cause: error });
    }
    // The URL is a credential for this command: never in a message.
    const what = `Slack response_url: HTTP ${response.status}`;
    if (response.ok) return;
    if (response.status === 404 || response.status === 410) throw new SurfaceError('gone', what);
    if (response.status >= 500 || response.status === 429)
      throw new SurfaceError('transient', what);
    throw new SurfaceError('rejected', what);
  }

  /**
   * Sends `markdown_text`; should Slack refuse it for expanding into too many
   * blocks, the same text goes again as plain mrkdwn `text` (no blocks), so
   * the user still gets the answer.
   */
  private async withPlainFallback<T>(
    method: string,
    markdown: string,
    controls: readonly Control[] | undefined,
    send: (body: MessageBody) => Promise<T>,
  ): Promise<T> {
    markdown = muteMentions(markdown);
    try {
      // Buttons need blocks, and `markdown_text` takes none: the text goes as a markdown block.
      return await send(
        controls?.length ? withButtons(markdown, controls) : { markdown_text: markdown },
      );
    } catch (error) {
      if (slackErrorCode(error) !== 'msg_blocks_too_long') throw toSurfaceError(error, method);
      return call(method, () => send({ text: toMrkdwn(markdown) }));
    }
  }
}

type MessageBody =
  | { markdown_text: string }
  | { text: string }
  | { text: string; blocks: Record<string, unknown>[] };

/** What notifications show of a message with blocks; the blocks are what the channel shows. */
const FALLBACK_TEXT_LENGTH = 3_000;

/**
 * The answer as a `markdown` block (12,000 characters, as `markdown_text`)
 * followed by the blocks of its buttons (control-blocks.ts); `text` is the fallback
 * that notifications show.
 */
export function withButtons(markdown: string, controls: readonly Control[]): MessageBody {
  return {
    text: clip(markdown, FALLBACK_TEXT_LENGTH),
    blocks: [{ type: 'markdown', text: markdown }, ...controlBlocks(controls)],
  };
}
