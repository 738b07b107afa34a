export interface FakeUser {
  id: string;
  username: string;
  bot?: boolean;
  globalName?: string;
}

export interface RateSpec {
  points: number;
  windowMs: number;
}

export interface ChannelConfig {
  id: string;
  name: string;
  /** 0 text, 5 announcement. */
  type?: 0 | 5;
  /** Replaces the guild-level bot permissions here (sent as a member overwrite). */
  botPermissions?: string;
}

export interface ThreadConfig {
  id: string;
  name: string;
  parentId: string;
  /** 11 public, 12 private. */
  type?: 11 | 12;
  /** Who started it (default: the guild's owner, not the bot). */
  ownerId?: string;
}

export interface GuildConfig {
  id: string;
  name: string;
  channels: ChannelConfig[];
  threads?: ThreadConfig[];
  /** Bitfield string of the bot's role; defaults to DEFAULT_BOT_PERMISSIONS. */
  botPermissions?: string;
  ownerId?: string;
}

export interface FakeDiscordOptions {
  token: string;
  applicationId: string;
  botUser: { id: string; username: string };
  guilds?: GuildConfig[];
  rates?: {
    /** Creating and editing messages in one channel: one shared bucket. */
    messagesPerChannel?: RateSpec;
    deletePerChannel?: RateSpec;
    /** Adding and removing reactions in one channel. */
    reactionsPerChannel?: RateSpec;
    typingPerChannel?: RateSpec;
    /** Starting threads from messages in one channel. */
    threadsPerChannel?: RateSpec;
    webhookPerToken?: RateSpec;
    global?: RateSpec;
  };
  interactionDeadlineMs?: number;
  interactionTokenTtlMs?: number;
  fileSizeLimit?: number;
  requestSizeLimit?: number;
  heartbeatIntervalMs?: number;
  /** `shards` in `GET /gateway/bot` (default 1). */
  recommendedShards?: number;
  /** `session_start_limit.max_concurrency`: identify buckets are `shard_id % this` (default 1). */
  maxConcurrency?: number;
  /** One IDENTIFY per bucket per this window, else op 9 INVALID_SESSION (default 5000). */
  identifyWindowMs?: number;
  /** More guilds than this on one shard closes the identify with 4011 (default 2500). */
  maxGuildsPerShard?: number;
  /** How long a session stays resumable after its connection drops (default 60 s). */
  sessionResumableMs?: number;
  /** Dispatches a session keeps for replay; a RESUME from before them gets op 9 (default 10,000). */
  sessionBufferLimit?: number;
  /** RESUME on another URL than the session's `resume_gateway_url` gets op 9 (default true). */
  strictResumeUrl?: boolean;
  /** Privileged intents switched on in the developer portal; identifying with others closes 4014. */
  privilegedIntents?: {
    messageContent?: boolean;
    guildMembers?: boolean;
    guildPresences?: boolean;
  };
}

export interface ResolvedOptions extends Required<
  Omit<FakeDiscordOptions, 'rates' | 'privilegedIntents'>
> {
  rates: Required<NonNullable<FakeDiscordOptions['rates']>>;
  privilegedIntents: Required<NonNullable<FakeDiscordOptions['privilegedIntents']>>;
}

export interface StoredAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  bytes: Buffer;
  description?: string;
  /** When its CDN link was issued (the link expires a day later). Default: when it is shown. */
  issuedAt?: number;
}

export interface MessageEdit {
  content: string;
  at: number;
  attachments: string[];
}

export interface StoredMessage {
  id: string;
  channelId: string;
  guildId?: string;
  author: FakeUser;
  content: string;
  embeds: unknown[];
  components: unknown[];
  attachments: StoredAttachment[];
  flags: number;
  /** Discord message type: 0 default, 19 reply, 20 chat input command. */
  type: number;
  tts: boolean;
  messageReference?: { messageId: string; channelId: string; guildId?: string };
  mentions: FakeUser[];
  mentionEveryone: boolean;
  allowedMentions?: unknown;
  createdAt: number;
  editedAt?: number;
  editCount: number;
  edits: MessageEdit[];
  deleted: boolean;
  deletedAt?: number;
  /** Reactions, with when each was added and (for removed ones) removed. */
  reactions: StoredReaction[];
  webhookId?: string;
  /** Set on interaction responses and follow-ups (`interaction_metadata`). */
  interaction?: { id: string; type: number; user: FakeUser; name: string };
  ephemeral: boolean;
}

export interface StoredReaction {
  /** The emoji as Discord names it in the route: a unicode emoji, or `name:id`. */
  emoji: string;
  userId: string;
  addedAt: number;
  removedAt?: number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  at: number;
  durationMs: number;
  body?: unknown;
  files?: { filename: string; size: number }[];
  code?: number;
}

export interface RateLimitRecord {
  at: number;
  method: string;
  path: string;
  /** Route shape, e.g. `PATCH /channels/:id/messages/:id`, or `global`. */
  route: string;
  scope: 'user' | 'global';
  bucket?: string;
  retryAfter: number;
}

export interface StoredCommand {
  id: string;
  application_id: string;
  guild_id?: string;
  version: string;
  type: number;
  name: string;
  description: string;
  options?: unknown[];
  default_member_permissions: string | null;
  contexts?: number[] | null;
  integration_types?: number[];
  nsfw: boolean;
  [key: string]: unknown;
}
