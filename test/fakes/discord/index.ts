/**
 * A fake Discord speaking the real wire protocols: REST under `/api/v10` and
 * the JSON gateway websocket, on one local port. Point discord.js at it with
 * `new Client({ rest: { api: fake.apiUrl } })` (the gateway URL comes from
 * `GET /gateway/bot`) or `new REST({ api: fake.apiUrl })`.
 *
 *   const discord = await startFakeDiscord({ token, applicationId, botUser, guilds, rates? })
 *   discord.apiUrl / discord.gatewayUrl
 *   discord.sendMessage({ channelId, author, content, mentionsBot?, mentions?, replyTo?, attachments? }): StoredMessage
 *   discord.openDm(user): string                              DM channel id
 *   discord.sendInteraction({ type?, name, options?, channelId, user, permissions?, attachmentSizeLimit? })
 *     -> { id, token, callback: Promise<CallbackOutcome> }     settles at the callback or the deadline
 *   discord.pressButton({ messageId, customId, user, permissions? })  a MESSAGE_COMPONENT interaction;
 *     throws unless the message carries that button; same answer as sendInteraction
 *   discord.messages(channelId, { includeDeleted? }): StoredMessage[]   oldest first
 *   discord.message(id) / discord.interactionState(id)
 *   discord.requests / rateLimited / invalidRequests          REST log, 429s given, 401+403+429 count
 *   discord.commands / guildCommands(guildId)                 registered application commands
 *   discord.gatewayConnections                                every websocket, open or closed
 *   discord.requestReconnect()                                op 7 to every connection
 *   discord.dropConnections(shardId?) / dropConnections({ shardId?, code? })
 *     cuts sockets (default close 4000) without ending their sessions; a number below 1000 is a
 *     shard id, a larger one a close code (the old `dropConnections(code)`)
 *   discord.shardOf(guildId, shardCount)                      (guild_id >> 22) % shardCount
 *   discord.gatewaySessions()                                 live sessions: shard, connected?, seq
 *   discord.connectedShards()                                 shard ids with a connected session
 *   discord.gatewayStats                                      identifies, resumes, invalidSessions,
 *     refusedIdentifies (by bucket), resumesOffUrl
 *   manyGuilds(count, opts?)                                  GuildConfig[] spread evenly over shards
 *   await discord.waitFor(() => value, timeoutMs?, what?)      polls until truthy, returns it
 *   await discord.close()
 *
 * Enforced like Discord: bot token auth (401), per-channel buckets for message
 * creates, edits+deletes (shared) and typing, a per-token webhook bucket, the
 * global 50/s (interactions and webhooks excluded), 429 bodies and headers,
 * 2000-char content, embed limits, empty messages (50006), unknown
 * channel/message (10003/10008), editing others' messages (50005), bot
 * permissions per guild/channel (50001/50013), file and request size (413,
 * 40005), the 3 s interaction deadline (10062), double acknowledgement (40060),
 * deferred flags, 15-minute webhook tokens (50027), threads started from
 * messages (the message's id, 160004, 50024, Create Public Threads,
 * THREAD_CREATE, a per-channel bucket), command validation and
 * visibility, gateway handshake, intents (incl. Message Content blanking),
 * heartbeats, resume and close codes, sharding: `GET /gateway/bot` gives
 * `recommendedShards` and `maxConcurrency`; IDENTIFY's `shard` routes guild
 * events to `(guild_id >> 22) % count` and DMs to shard 0; 4010 invalid shard,
 * 4011 more than `maxGuildsPerShard` guilds on a shard; one IDENTIFY per bucket
 * (`shard_id % maxConcurrency`) per 5 s or op 9 INVALID_SESSION d:false.
 * Sessions outlive connections: while none holds it a session buffers its
 * dispatches and stays resumable for `sessionResumableMs`; RESUME (on the
 * session's `resume_gateway_url`, `/resume/<id>` on this server) replays what
 * came after `seq`, then RESUMED, and takes the session from a connection still
 * holding it (closed 4009). Unknown or expired session, or a replay the buffer
 * no longer covers: op 9. Closing with 1000/1001 ends the session.
 */
import { waitFor } from '../shared.js';
import type { AddressInfo } from 'node:net';
import { channelRoutes } from './channel-routes.js';
import { threadRoutes } from './thread-routes.js';
import { commandRoutes } from './commands.js';
import type { FakeContext } from './context.js';
import { MessageEvents } from './events.js';
import {
  Gateway,
  type GatewayConnectionInfo,
  type GatewaySessionInfo,
  type GatewayStats,
} from './gateway.js';
import { shardOf } from './shards.js';
import { callbackRoute } from './interaction-callback.js';
import { webhookRoutes } from './interaction-webhooks.js';
import {
  Interactions,
  type InteractionState,
  type PressButtonInput,
  type SendInteractionInput,
  type SentInteraction,
} from './interactions.js';
import { userMessage, type SendMessageInput } from './inbound.js';
import { guildRoutes } from './guild-routes.js';
import { miscRoutes } from './misc-routes.js';
import { RestServer } from './server.js';
import { FakeState } from './state.js';
import type {
  FakeDiscordOptions,
  FakeUser,
  RateLimitRecord,
  RequestLogEntry,
  ResolvedOptions,
  StoredCommand,
  StoredMessage,
} from './types.js';

export type * from './types.js';
export type {
  CallbackOutcome,
  InteractionState,
  PressButtonInput,
  SendInteractionInput,
  SentInteraction,
} from './interactions.js';
export type { GatewayConnectionInfo, GatewaySessionInfo, GatewayStats } from './gateway.js';
export { manyGuilds, shardOf } from './shards.js';
export type { SendMessageInput } from './inbound.js';
export { Intent } from './gateway.js';
export { DEFAULT_BOT_PERMISSIONS, EVERYONE_PERMISSIONS, Perm } from './permissions.js';
export { snowflake } from './snowflake.js';

export interface FakeDiscord {
  readonly apiUrl: string;
  readonly gatewayUrl: string;
  readonly options: ResolvedOptions;
  sendMessage(input: SendMessageInput): StoredMessage;
  openDm(user: FakeUser): string;
  sendInteraction(input: SendInteractionInput): SentInteraction;
  /** Someone presses a button the message carries (throws for one it does not). */
  pressButton(input: PressButtonInput): SentInteraction;
  messages(channelId: string, opts?: { includeDeleted?: boolean }): StoredMessage[];
  message(id: string): StoredMessage | undefined;
  interactionState(id: string): InteractionState | undefined;
  readonly requests: readonly RequestLogEntry[];
  /** Every download from the CDN (attachment links), by attachment id, with its status. */
  readonly cdnRequests: readonly { id: string; status: number; at: number }[];
  /** Moves the CDN's clock forward: links issued earlier than a day before it have expired. */
  advanceCdnClock(ms: number): void;
  readonly rateLimited: readonly RateLimitRecord[];
  readonly invalidRequests: number;
  readonly commands: readonly StoredCommand[];
  guildCommands(guildId: string): readonly StoredCommand[];
  readonly gatewayConnections: readonly GatewayConnectionInfo[];
  requestReconnect(): void;
  /**
   * Cuts sockets without ending their sessions: those of one shard, or all.
   * A number below 1000 is a shard id; 1000 and above a close code (default 4000).
   */
  dropConnections(target?: number | { shardId?: number; code?: number }): void;
  /** The shard Discord sends a guild's events to. */
  shardOf(guildId: string, shardCount: number): number;
  /** Live sessions: connected, or waiting for a RESUME with their dispatches buffered. */
  gatewaySessions(): GatewaySessionInfo[];
  /** Shard ids with a connected session, sorted (a shard run twice appears twice). */
  connectedShards(): number[];
  /** Counts of identifies, resumes, op 9s, refused identifies by bucket, off-URL resumes. */
  readonly gatewayStats: Readonly<GatewayStats>;
  waitFor<T>(
    check: () => T | Promise<T>,
    timeoutMs?: number,
    what?: string,
  ): Promise<NonNullable<T>>;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

function resolve(o: FakeDiscordOptions): ResolvedOptions {
  const window = (points: number, windowMs: number) => ({ points, windowMs });
  return {
    token: o.token,
    applicationId: o.applicationId,
    botUser: o.botUser,
    guilds: o.guilds ?? [],
    rates: {
      messagesPerChannel: o.rates?.messagesPerChannel ?? window(5, 5000),
      deletePerChannel: o.rates?.deletePerChannel ?? window(5, 5000),
      // Commonly seen: one reaction per 0.25 s per channel.
      reactionsPerChannel: o.rates?.reactionsPerChannel ?? window(1, 250),
      typingPerChannel: o.rates?.typingPerChannel ?? window(5, 5000),
      // Unpublished; the bot's own guess (src/platforms/discord/surface.ts) is 5 per 10 s.
      threadsPerChannel: o.rates?.threadsPerChannel ?? window(5, 10_000),
      // Discord does not publish interaction webhook limits; 5 per 2 s is what webhooks commonly show.
      webhookPerToken: o.rates?.webhookPerToken ?? window(5, 2000),
      global: o.rates?.global ?? window(50, 1000),
    },
    interactionDeadlineMs: o.interactionDeadlineMs ?? 3000,
    interactionTokenTtlMs: o.interactionTokenTtlMs ?? 15 * 60_000,
    fileSizeLimit: o.fileSizeLimit ?? 10 * MiB,
    requestSizeLimit: o.requestSizeLimit ?? 25 * MiB,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 41_250,
    recommendedShards: o.recommendedShards ?? 1,
    maxConcurrency: o.maxConcurrency ?? 1,
    identifyWindowMs: o.identifyWindowMs ?? 5000,
    maxGuildsPerShard: o.maxGuildsPerShard ?? 2500,
    // Discord keeps a dropped session for a few minutes; a minute is plenty for tests.
    sessionResumableMs: o.sessionResumableMs ?? 60_000,
    sessionBufferLimit: o.sessionBufferLimit ?? 10_000,
    strictResumeUrl: o.strictResumeUrl ?? true,
    privilegedIntents: {
      messageContent: o.privilegedIntents?.messageContent ?? true,
      guildMembers: o.privilegedIntents?.guildMembers ?? true,
      guildPresences: o.privilegedIntents?.guildPresences ?? true,
    },
  };
}

export async function startFakeDiscord(input: FakeDiscordOptions): Promise<FakeDiscord> {
  const options = resolve(input);
  const state = new FakeState(options);
  const gateway = new Gateway(state, options);
  const events = new MessageEvents(state, gateway);
  const ctx: FakeContext = { state, options, gateway, events };
  const interactions = new Interactions(ctx);
  const server = new RestServer(ctx, [
    ...miscRoutes(ctx),
    ...guildRoutes(ctx),
    ...channelRoutes(ctx),
    ...threadRoutes(ctx),
    ...commandRoutes(ctx),
    callbackRoute(ctx, interactions),
    ...webhookRoutes(ctx, interactions),
  ]);
  gateway.attach(server.http);
  await new Promise<void>((done) => server.http.listen(0, '127.0.0.1', done));
  const { port } = server.http.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}`;
  gateway.url = `ws://127.0.0.1:${port}`;

  const sendMessage = (m: SendMessageInput) => userMessage(state, events, m);

  return {
    apiUrl: `${state.baseUrl}/api`,
    gatewayUrl: gateway.url,
    options,
    sendMessage,
    openDm: (user) => state.openDm(user).id,
    sendInteraction: (i) => interactions.send(i),
    pressButton: (i) => interactions.press(i),
    messages: (channelId, opts) => state.messages(channelId, opts?.includeDeleted),
    message: (id) => state.message(id),
    interactionState: (id) => interactions.get(id),
    requests: server.requests,
    cdnRequests: state.cdnRequests,
    advanceCdnClock: (ms) => void (state.cdnClockMs += ms),
    rateLimited: server.rateLimited,
    get invalidRequests() {
      return server.invalidRequests;
    },
    commands: state.commands,
    guildCommands: (guildId) => state.guildCommands.get(guildId) ?? [],
    gatewayConnections: gateway.connections,
    requestReconnect: () => gateway.requestReconnect(),
    dropConnections: (target) => {
      if (typeof target === 'object') return gateway.dropConnections(target.code, target.shardId);
      if (target !== undefined && target < 1000) return gateway.dropConnections(undefined, target);
      gateway.dropConnections(target);
    },
    shardOf,
    gatewaySessions: () => gateway.sessionInfos(),
    connectedShards: () =>
      gateway
        .sessionInfos()
        .filter((s) => s.connected)
        .map((s) => s.shard[0])
        .sort((a, b) => a - b),
    gatewayStats: gateway.stats,
    waitFor: (check, timeoutMs, what) => waitFor('fake-discord', check, timeoutMs, what),
    async close() {
      interactions.close();
      await gateway.close();
      server.http.closeAllConnections();
      await new Promise<void>((done) => server.http.close(() => done()));
    },
  };
}
