import type { EventSubscriptions } from './subscriptions.js';

/** A fixed or sliding window: at most `points` requests per `windowMs`. */
export interface RateSpec {
  points: number;
  windowMs: number;
}

/** Methods with a per-workspace tier; every other method is not limited by the fake. */
export type TieredMethod =
  | 'chat.update'
  | 'chat.delete'
  | 'chat.postEphemeral'
  | 'chat.startStream'
  | 'chat.appendStream'
  | 'chat.stopStream'
  | 'assistant.threads.setStatus'
  | 'assistant.threads.setTitle'
  | 'assistant.threads.setSuggestedPrompts'
  | 'users.info'
  | 'files.getUploadURLExternal'
  | 'files.completeUploadExternal';

export interface FakeSlackUser {
  /** `U…` (or `W…` on Enterprise Grid). */
  id: string;
  /** The handle (`name` in users.info). */
  name: string;
  displayName?: string;
  realName?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
  isBot?: boolean;
  /** Defaults to the workspace's team id. */
  teamId?: string;
}

export interface FakeSlackChannel {
  /** `C…`/`G…` for channels, `D…` for DMs. */
  id: string;
  name: string;
  /** Defaults to `id.startsWith('D')`; a DM id must start with `D`. */
  isIm?: boolean;
  /** For a DM: the person on the other side (only they can write in it). */
  user?: string;
  /**
   * `false`: the bot was never invited; posting answers `not_in_channel`, and
   * Slack delivers no events from it. Default true.
   */
  botIsMember?: boolean;
  /**
   * A public channel, a private channel (`group`) or a group DM (`mpim`):
   * the `channel_type` of its message events, and which `message.*`
   * subscription delivers them. Default `group` for `G…` ids, else `channel`.
   */
  type?: 'channel' | 'group' | 'mpim';
}

export interface RateOptions {
  /**
   * Replaces the one-minute window of every tiered method while keeping its
   * points, so a test can watch a window reset without waiting a minute.
   */
  windowMs?: number;
  /** Per-method overrides of the tiers (points and window). */
  methods?: Partial<Record<TieredMethod, RateSpec>>;
  /**
   * `chat.postMessage` per channel, counted over a sliding window ("at most
   * `points` in any `windowMs`"). Default 3 per 3000 ms: Slack says 1 per
   * second with short bursts and publishes no burst size.
   */
  postMessagePerChannel?: RateSpec;
}

export type Transport = 'http' | 'socket';

export interface FakeSlackOptions {
  /** Bot token (`xoxb-…`) every Web API method except `apps.connections.open` takes. Default `xoxb-test`. */
  botToken?: string;
  /** Secret the fake signs events and commands with. Default `test-signing-secret`. */
  signingSecret?: string;
  /** App-level token (`xapp-…`) for `apps.connections.open` (socket mode). Default `xapp-test`. */
  appToken?: string;
  /** The deprecated verification token put in envelopes and command bodies. */
  verificationToken?: string;
  /** Default `T0000000001`. */
  teamId?: string;
  /** The Enterprise Grid organisation the workspace belongs to; default none. */
  enterpriseId?: string;
  /** The app is installed org-wide (events say `is_enterprise_install`); default false. */
  enterpriseInstall?: boolean;
  /** Default `fake-workspace` (auth.test `url`, commands' `team_domain`). */
  teamDomain?: string;
  /** Default `Fake Workspace`. */
  teamName?: string;
  /** The bot user (`U…`) in mentions and on the bot's messages. Default `U0BOT00001`. */
  botUserId?: string;
  /** The bot id (`B…`) on the bot's messages. Default `B0BOT00001`. */
  botId?: string;
  /** The bot user's handle. Default `chutes`. */
  botName?: string;
  /** Default `A0APP00001`. */
  appId?: string;
  /** People `users.info` knows; the bot user is added automatically. */
  users?: FakeSlackUser[];
  /** Conversations that exist; anything else is `channel_not_found`. */
  channels?: FakeSlackChannel[];
  /** Where signed events and slash commands go (`http://127.0.0.1:PORT/slack/events`); see `setEventsUrl`. */
  eventsUrl?: string;
  rates?: RateOptions;
  /**
   * How long after `chat.startStream` Slack closes a stream on its own; later
   * append/stop answer `message_not_in_streaming_state`. Undocumented; reported
   * around 5 minutes (absolute, appends do not extend it). Default 300,000.
   */
  streamLifetimeMs?: number;
  /** `false`: the workspace lacks the AI-apps feature; `chat.startStream` answers `feature_not_enabled`. Default true. */
  streamingEnabled?: boolean;
  /**
   * A stream takes content in the form it was opened with: opened with
   * `markdown_text` it refuses `chunks` and the other way round
   * (`streaming_mode_mismatch`). Measured by others, not documented. Default true.
   */
  streamModeLock?: boolean;
  /**
   * Require `recipient_user_id` + `recipient_team_id` in DMs too. The docs say
   * they are needed only in channels; people streaming from bot tokens report
   * `missing_recipient_*` in DMs as well. Default true (the strict reading).
   */
  dmStreamsNeedRecipients?: boolean;
  /** Events and slash commands must be answered within this. Default 3000. */
  ackDeadlineMs?: number;
  /** Redeliver unacknowledged events as Slack does (with retry headers). Default false. */
  retryUnacknowledged?: boolean;
  /** Delays before retries 1..n of an unacknowledged event. Slack: about [0, 60 s, 5 min]. */
  retryDelaysMs?: number[];
  /**
   * How inbound deliveries travel unless a call says otherwise: `auto` uses a
   * connected socket-mode client when there is one, HTTP otherwise. Default `auto`.
   */
  transport?: 'auto' | Transport;
  /** Largest upload `files.getUploadURLExternal` allows. Default 1 GiB. */
  maxUploadBytes?: number;
  /** Uses of one `response_url`. Default 5 (Slack's rule). */
  responseUrlMaxUses?: number;
  /** Lifetime of a `response_url`. Default 30 minutes. */
  responseUrlTtlMs?: number;
  /** `assistant.threads.setStatus` clears itself after this with no reply. Default 2 minutes. */
  statusTimeoutMs?: number;
  /** Interval of websocket pings to socket-mode clients. Default 10,000. */
  socketPingIntervalMs?: number;
  /**
   * The app's event subscriptions and scopes. Slack delivers an event only
   * when the app subscribes to it and holds its scope (`app_mention`:
   * `app_mentions:read`; `message.channels`/`groups`/`im`/`mpim`:
   * `channels:history`/…), and `message.*` only from conversations the bot
   * is in; a mention subscribed to both arrives twice (`app_mention` and
   * `message`). Default: those of the app's manifest.json.
   */
  subscriptions?: EventSubscriptions;
}

export interface ResolvedOptions extends Required<
  Omit<FakeSlackOptions, 'rates' | 'eventsUrl' | 'enterpriseId'>
> {
  eventsUrl: string | undefined;
  enterpriseId: string | undefined;
  /** Tier per method, windows already adjusted by `rates.windowMs`. */
  tiers: Record<string, RateSpec>;
  postMessagePerChannel: RateSpec;
}

export type StreamState = 'streaming' | 'stopped' | 'expired' | 'stopped_by_user';

export interface TextVersion {
  /** The visible text from this moment on. */
  text: string;
  at: number;
  via: 'post' | 'update' | 'start' | 'append' | 'stop';
}

export interface StoredMessage {
  channel: string;
  ts: string;
  /** The parent's ts for a reply; undefined for a top-level message. */
  threadTs?: string;
  /** The author; the bot user id for the bot's messages. */
  user?: string;
  /** Set on messages posted by an app (ours or another). */
  botId?: string;
  /** The `text` field (mrkdwn); for markdown and streamed messages the same as `markdown`. */
  text: string;
  /** The current markdown: `markdown_text`, or a stream's cumulative appended markdown. */
  markdown?: string;
  blocks?: unknown[];
  /** Blocks `chat.stopStream` put at the bottom of a stream. */
  finalBlocks?: unknown[];
  /** Non-markdown chunks a stream received (task and plan updates, blocks). */
  chunks?: unknown[];
  streaming?: StreamState;
  streamStartedAt?: number;
  streamMode?: 'markdown_text' | 'chunks';
  /** File ids shared with this message. */
  files?: string[];
  /** Every version of the visible text, oldest first. */
  history: TextVersion[];
  postedAt: number;
  editedAt?: number;
  deleted: boolean;
  deletedAt?: number;
  origin: 'user' | 'bot' | 'other-app' | 'command-response' | 'file-share';
}

export interface RequestLogEntry {
  method: string;
  /** Parsed parameters without the token. */
  params: Record<string, unknown>;
  at: number;
  status: number;
  ok: boolean;
  error?: string;
  durationMs: number;
  /** How the body arrived. */
  encoding: 'form' | 'json' | 'multipart' | 'none';
}

export interface RateLimitRecord {
  method: string;
  channel?: string;
  team: string;
  at: number;
  /** The `Retry-After` header sent, in seconds. */
  retryAfter: number;
}

export interface StoredFile {
  id: string;
  /** `filename` from `files.getUploadURLExternal`. */
  name: string;
  title?: string;
  declaredLength: number;
  bytes?: Buffer;
  uploadedAt?: number;
  /** Set once `files.completeUploadExternal` shared it. */
  completedAt?: number;
  channel?: string;
  threadTs?: string;
  initialComment?: string;
  /** The message the share created. */
  messageTs?: string;
}

export interface StatusRecord {
  channel: string;
  threadTs: string;
  status: string;
  loadingMessages?: string[];
  at: number;
  clearedAt?: number;
  clearedBy?: 'reply' | 'timeout' | 'empty-status' | 'replaced';
}

export interface EphemeralRecord {
  channel: string;
  user: string;
  text: string;
  markdown?: string;
  threadTs?: string;
  at: number;
}

export interface CommandResponse {
  text?: string;
  blocks?: unknown[];
  responseType: 'ephemeral' | 'in_channel';
  replaceOriginal: boolean;
  deleteOriginal: boolean;
  /** `ack`: the body of the HTTP answer (or socket ack payload); `response_url`: a later POST. */
  via: 'ack' | 'response_url';
  at: number;
}
