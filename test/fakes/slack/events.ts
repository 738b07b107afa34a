import { randomBytes, randomUUID } from 'node:crypto';
import type { FakeContext } from './context.js';
import type { Deliverer, DeliveryOptions, DeliveryResult } from './delivery.js';
import { slackId } from './ids.js';
import { fileObject, shareFiles, type SharedFileInput } from './shared-files.js';
import { notDelivered } from './subscriptions.js';
import type { StoredMessage } from './types.js';

export interface UserMessageInput {
  channel: string;
  /** Must be one of the configured users. */
  user: string;
  /** As the user typed it, Slack mrkdwn included (`<@U…>`, `&lt;`). */
  text: string;
  /** Post as a reply in this thread. */
  threadTs?: string;
  /** Files shared with the message: the events carry them (`file_share`), `url_private` serves them. */
  files?: SharedFileInput[];
}

export interface SendMentionInput extends UserMessageInput, DeliveryOptions {
  /** Use this event id instead of a fresh one. */
  eventId?: string;
  /** The user's team, when it differs from the workspace (Slack Connect). */
  teamId?: string;
}

export interface SentEvent {
  ts: string;
  eventId: string;
  /** Settles at the service's answer or at the ack deadline. */
  delivery: Promise<DeliveryResult>;
}

/** What Slack delivered for a person's message; undefined where it sends nothing. */
export interface PostedMessage {
  ts: string;
  /** The `app_mention` event (a channel message that mentions the bot). */
  mention?: SentEvent;
  /** The `message` event (`message.channels`, `.groups`, `.im`, `.mpim`). */
  message?: SentEvent;
}

export interface UnacknowledgedRecord {
  eventId: string;
  retryNum: number;
  failure: NonNullable<DeliveryResult['failure']>;
  at: number;
}

export interface RedeliverOptions extends DeliveryOptions {
  /** Default: one more than the last attempt. */
  retryNum?: number;
  /** Default `http_timeout`. */
  reason?: string;
}

/** Slack's names for why it retries. */
const RETRY_REASONS = {
  timeout: 'http_timeout',
  http_error: 'http_error',
  connection_failed: 'connection_failed',
} as const;

/** Events API deliveries: user messages, their `event_callback` envelopes, retries. */
export class Events {
  readonly unacknowledged: UnacknowledgedRecord[] = [];
  private readonly envelopes = new Map<
    string,
    { envelope: Record<string, unknown>; attempts: number }
  >();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly ctx: FakeContext,
    private readonly deliverer: Deliverer,
  ) {}

  /** Stores a user's message without delivering anything (e.g. a thread's start). */
  addUserMessage(input: UserMessageInput): StoredMessage {
    const { state } = this.ctx;
    const ch = state.requireChannel(input.channel);
    if (!state.users.has(input.user)) throw new Error(`fake-slack: unknown user ${input.user}`);
    if (ch.isIm && ch.user && ch.user !== input.user) {
      throw new Error(`fake-slack: only ${ch.user} writes in DM ${ch.id}`);
    }
    const threadTs =
      input.threadTs !== undefined ? state.threadRoot(ch.id, input.threadTs) : undefined;
    const now = Date.now();
    if (input.files?.length) shareFiles(this.ctx, input.user, input.files);
    return state.addMessage({
      channel: ch.id,
      ts: state.clock.next(now),
      ...(threadTs !== undefined ? { threadTs } : {}),
      user: input.user,
      text: input.text,
      history: [{ text: input.text, at: now, via: 'post' }],
      postedAt: now,
      deleted: false,
      origin: 'user',
    });
  }

  /**
   * A person posts a message (in a channel, a thread or a DM): stored, then
   * what Slack delivers for it, each only if the app subscribes to it (see
   * `subscriptions`): an `app_mention` when it mentions the bot outside a
   * DM, and a `message` event. Either is undefined when Slack sends none.
   */
  sendMessage(input: SendMentionInput): PostedMessage {
    const { state, options } = this.ctx;
    const ch = state.requireChannel(input.channel);
    const { files, ...withoutFiles } = input;
    const m = this.addUserMessage(withoutFiles);
    const shared = files?.length
      ? shareFiles(this.ctx, input.user, files).map((f) => fileObject(this.ctx, f))
      : undefined;
    const { text } = input;
    const parent = m.threadTs !== undefined ? state.message(ch.id, m.threadTs) : undefined;
    const event = {
      user: input.user,
      ts: m.ts,
      client_msg_id: randomUUID(),
      text,
      team: input.teamId ?? state.users.get(input.user)?.teamId ?? options.teamId,
      blocks: richText(text),
      channel: ch.id,
      ...(m.threadTs !== undefined ? { thread_ts: m.threadTs } : {}),
      ...(parent?.user !== undefined ? { parent_user_id: parent.user } : {}),
      event_ts: m.ts,
      ...(shared ? { files: shared, upload: false, display_as_bot: false } : {}),
    };
    const posted: PostedMessage = { ts: m.ts };
    const subs = options.subscriptions;
    if (!ch.isIm && text.includes(`<@${options.botUserId}>`)) {
      if (!notDelivered(subs, 'app_mention', ch))
        posted.mention = {
          ts: m.ts,
          ...this.send({ ...event, type: 'app_mention' }, input, input.eventId),
        };
    }
    if (!notDelivered(subs, 'message', ch)) {
      // The mention's own event id is the app_mention's; its message event gets another.
      const eventId = posted.mention ? undefined : input.eventId;
      // A `file_share` message event comes without `team` (slackapi/slack-api-specs#62).
      const { team: _noTeam, ...withoutTeam } = event;
      const message = {
        ...(shared ? withoutTeam : event),
        type: 'message',
        ...(shared ? { subtype: 'file_share' } : {}),
        channel_type: ch.type,
      };
      posted.message = { ts: m.ts, ...this.send(message, input, eventId) };
    }
    return posted;
  }

  /**
   * A user mentions the bot in a channel: stored, then an `app_mention`
   * event (and, with `message.channels`, the same message as a `message`
   * event, whose delivery a test finds in `deliveries`).
   */
  sendMention(input: SendMentionInput): SentEvent {
    const { state, options } = this.ctx;
    const ch = state.requireChannel(input.channel);
    if (ch.isIm)
      throw new Error('fake-slack: use sendDm for DMs (Slack sends no app_mention there)');
    const refused = notDelivered(options.subscriptions, 'app_mention', ch);
    if (refused) throw new Error(`fake-slack: no app_mention would arrive: ${refused}`);
    const tag = `<@${options.botUserId}>`;
    const text = input.text.includes(tag) ? input.text : `${tag} ${input.text}`;
    const posted = this.sendMessage({ ...input, text });
    posted.message?.delivery.catch((err: unknown) =>
      console.warn('[fake-slack] message event delivery failed', err),
    );
    return posted.mention!;
  }

  /**
   * A person opens the app's assistant pane: Slack starts a thread in their
   * DM with the app (its root is the app's) and sends `assistant_thread_started`.
   */
  startAssistantThread(input: { user: string; dm: string; context?: string }): SentEvent {
    const { state, options } = this.ctx;
    const ch = state.requireChannel(input.dm);
    if (!ch.isIm || (ch.user && ch.user !== input.user))
      throw new Error(`fake-slack: ${ch.id} is not ${input.user}'s DM with the app`);
    const refused = notDelivered(options.subscriptions, 'assistant_thread_started', ch);
    if (refused)
      throw new Error(`fake-slack: no assistant_thread_started would arrive: ${refused}`);
    const now = Date.now();
    const ts = state.clock.next(now);
    state.addMessage({
      channel: ch.id,
      ts,
      user: options.botUserId,
      botId: options.botId,
      text: '',
      history: [{ text: '', at: now, via: 'post' }],
      postedAt: now,
      deleted: false,
      origin: 'bot',
    });
    const event = {
      type: 'assistant_thread_started',
      assistant_thread: {
        user_id: input.user,
        context: input.context
          ? { channel_id: input.context, team_id: options.teamId, enterprise_id: null }
          : {},
        channel_id: ch.id,
        thread_ts: ts,
      },
      event_ts: state.clock.next(now),
    };
    return { ts, ...this.send(event, {}) };
  }

  /** A user writes to the bot in a DM: stored, then a `message` event with `channel_type: 'im'`. */
  sendDm(input: SendMentionInput): SentEvent {
    const { state, options } = this.ctx;
    const ch = state.requireChannel(input.channel);
    if (!ch.isIm) throw new Error(`fake-slack: ${ch.id} is not a DM`);
    const refused = notDelivered(options.subscriptions, 'message', ch);
    if (refused) throw new Error(`fake-slack: no message event would arrive: ${refused}`);
    const posted = this.sendMessage(input);
    return posted.message!;
  }

  /**
   * A person edits a message of theirs. As Slack does: a `message_changed`
   * event where the app hears the conversation's messages (`message.*`
   * subscriptions), and, when the new text mentions the bot in a channel, a
   * new `app_mention` (new event id, the same `ts`, an `edited` mark).
   */
  editMessage(input: { channel: string; ts: string; text: string }): SentEvent[] {
    const { state, options } = this.ctx;
    const ch = state.requireChannel(input.channel);
    const m = state.requireMessage(ch.id, input.ts);
    if (m.origin !== 'user' || !m.user) throw new Error('fake-slack: only a person edits here');
    const now = Date.now();
    const previous = { type: 'message', user: m.user, text: m.text, ts: m.ts };
    m.text = input.text;
    m.editedAt = now;
    state.show(m, input.text, 'update', now);
    const edited = { user: m.user, ts: state.clock.next(now) };
    const team = state.users.get(m.user)?.teamId ?? options.teamId;
    const thread = m.threadTs !== undefined ? { thread_ts: m.threadTs } : {};
    const sent: SentEvent[] = [];
    const subs = options.subscriptions;
    if (!notDelivered(subs, 'message', ch)) {
      const event = {
        type: 'message',
        subtype: 'message_changed',
        hidden: true,
        channel: ch.id,
        channel_type: ch.type,
        ts: edited.ts,
        event_ts: edited.ts,
        message: { ...previous, text: input.text, edited, team, ...thread },
        previous_message: previous,
      };
      sent.push({ ts: m.ts, ...this.send(event, {}) });
    }
    const mentions = !ch.isIm && input.text.includes(`<@${options.botUserId}>`);
    if (mentions && !notDelivered(subs, 'app_mention', ch)) {
      const event = {
        user: m.user,
        type: 'app_mention',
        ts: m.ts,
        client_msg_id: randomUUID(),
        text: input.text,
        team,
        blocks: richText(input.text),
        channel: ch.id,
        ...thread,
        edited,
        event_ts: edited.ts,
      };
      sent.push({ ts: m.ts, ...this.send(event, {}) });
    }
    return sent;
  }

  /**
   * Any `message` event, e.g. from another app (`bot_id`, `subtype:
   * 'bot_message'`) or the bot's own echo. Defaults fill `type`, `ts`,
   * `event_ts`, `team` and `channel_type`; a new ts is stored as a message.
   * Throws for an event the app's subscriptions would not receive.
   */
  sendMessageEvent(
    fields: Record<string, unknown> & { channel: string },
    opts: DeliveryOptions & { eventId?: string } = {},
  ): SentEvent {
    const { state, options } = this.ctx;
    const ch = state.requireChannel(fields.channel);
    const now = Date.now();
    const ts = typeof fields['ts'] === 'string' ? fields['ts'] : state.clock.next(now);
    const event: Record<string, unknown> = {
      type: 'message',
      ts,
      event_ts: ts,
      team: options.teamId,
      channel_type: ch.type,
      ...fields,
    };
    const refused = notDelivered(options.subscriptions, String(event['type']), ch);
    if (refused) throw new Error(`fake-slack: Slack would not deliver this event: ${refused}`);
    const text = typeof event['text'] === 'string' ? event['text'] : '';
    if (!state.message(ch.id, ts) && event['subtype'] !== 'message_deleted') {
      const botId = typeof event['bot_id'] === 'string' ? event['bot_id'] : undefined;
      const user = typeof event['user'] === 'string' ? event['user'] : undefined;
      const threadTs = typeof event['thread_ts'] === 'string' ? event['thread_ts'] : undefined;
      state.addMessage({
        channel: ch.id,
        ts,
        ...(threadTs !== undefined ? { threadTs } : {}),
        ...(user !== undefined ? { user } : {}),
        ...(botId !== undefined ? { botId } : {}),
        text,
        history: [{ text, at: now, via: 'post' }],
        postedAt: now,
        deleted: false,
        origin: botId === options.botId ? 'bot' : botId ? 'other-app' : 'user',
      });
    }
    return { ts, ...this.send(event, opts, opts.eventId) };
  }

  /**
   * An event that is not a message (`app_uninstalled`, `tokens_revoked`):
   * Slack sends these to every app, whatever its subscriptions.
   */
  sendEvent(
    event: Record<string, unknown> & { type: string },
    opts: DeliveryOptions = {},
  ): { eventId: string; delivery: Promise<DeliveryResult> } {
    const ts = this.ctx.state.clock.next(Date.now());
    return this.send({ event_ts: ts, ...event }, opts);
  }

  /** Sends an envelope again, as Slack's retries do: same `event_id`, retry headers. */
  redeliver(eventId: string, opts: RedeliverOptions = {}): Promise<DeliveryResult> {
    const known = this.envelopes.get(eventId);
    if (!known) throw new Error(`fake-slack: no event ${eventId} was sent`);
    const retryNum = opts.retryNum ?? known.attempts;
    return this.dispatch(eventId, opts, retryNum, opts.reason ?? 'http_timeout');
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
  }

  private send(
    event: Record<string, unknown>,
    opts: DeliveryOptions,
    eventId = slackId('Ev'),
  ): { eventId: string; delivery: Promise<DeliveryResult> } {
    const { options } = this.ctx;
    const team = options.teamId;
    const enterprise = options.enterpriseId ?? null;
    const envelope = {
      token: options.verificationToken,
      team_id: team,
      ...(enterprise ? { enterprise_id: enterprise } : {}),
      context_team_id: team,
      context_enterprise_id: enterprise,
      api_app_id: options.appId,
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: enterprise,
          // An org-wide install is authorized for the organisation, not a workspace.
          team_id: options.enterpriseInstall ? null : team,
          user_id: options.botUserId,
          is_bot: true,
          is_enterprise_install: options.enterpriseInstall,
        },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${randomBytes(24).toString('base64url')}`,
    };
    this.envelopes.set(eventId, { envelope, attempts: 0 });
    return { eventId, delivery: this.dispatch(eventId, opts, 0, undefined) };
  }

  /** One attempt; an unacknowledged one is recorded and, if enabled, retried like Slack. */
  private async dispatch(
    eventId: string,
    opts: DeliveryOptions,
    retryNum: number,
    reason: string | undefined,
  ): Promise<DeliveryResult> {
    const known = this.envelopes.get(eventId);
    if (!known) throw new Error(`fake-slack: no event ${eventId}`);
    known.attempts = Math.max(known.attempts, retryNum + 1);
    const result = await this.deliverer.deliver('events_api', known.envelope, eventId, {
      ...opts,
      retryNum,
      ...(reason ? { retryReason: reason } : {}),
    });
    const { failure } = result;
    if (result.acknowledged || !failure) return result;
    this.unacknowledged.push({ eventId, retryNum, failure, at: Date.now() });
    const { retryUnacknowledged, retryDelaysMs } = this.ctx.options;
    const delay = retryDelaysMs[retryNum];
    if (retryUnacknowledged && !result.noRetry && delay !== undefined && !this.closed) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        // Retries are signed correctly: only the first attempt carries a test's bad signature.
        void this.dispatch(eventId, { ...opts, signing: {} }, retryNum + 1, RETRY_REASONS[failure]);
      }, delay);
      this.timers.add(timer);
    }
    return result;
  }
}

/** The `blocks` Slack attaches to typed messages: one rich_text section with the raw text. */
function richText(text: string): unknown[] {
  return [
    {
      type: 'rich_text',
      block_id: slackId('', 5).toLowerCase(),
      elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }],
    },
  ];
}
