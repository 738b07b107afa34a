/**
 * The gateway's discord.js `Client`, fed by hand: it never logs in (the
 * shards' websockets are this process's own, see shard-connection.ts), but
 * the raw dispatches of every shard held are handed to its packet handlers,
 * so that messages and interactions arrive as the discord.js objects the rest
 * of the adapter reads, with bounded caches. A shard that resumed a session
 * another process started sees no READY or GUILD_CREATE: the bot user comes
 * from `GET /users/@me`, and a server or channel not cached yet is fetched
 * (once, on the shared budget) before the event that needs it.
 */
import {
  Client,
  GatewayDispatchEvents,
  GatewayIntentBits,
  Options,
  Partials,
  Routes,
  SnowflakeUtil,
  Status,
  type APIChannel,
  type APIGuild,
  type APIUser,
  type GatewayDispatchPayload,
} from 'discord.js';
import type { Logger } from '../../log.js';

/** Interactions older than this cannot be acknowledged any more (Discord gives 3 s). */
const INTERACTION_DEADLINE_MS = 3_000;
/** How long an interaction waits for its channel or server to be fetched. */
const INTERACTION_FETCH_PATIENCE_MS = 1_000;

/** discord.js's packet entry point (private in its typings; the gateway's own use). */
interface PacketSink {
  status: Status;
  handlePacket(packet: unknown, shard: unknown): boolean;
}

export interface EventClientOptions {
  readonly token: string;
  readonly apiUrl: string;
  readonly applicationId: string;
  readonly messageContent: boolean;
  readonly log: Logger;
  /** Waits for the shared budget before one of the gateway's own REST calls. */
  readonly spend: () => Promise<void>;
}

/** The intents the gateway asks for. */
export function gatewayIntents(messageContent: boolean): number {
  return (
    GatewayIntentBits.Guilds |
    GatewayIntentBits.GuildMessages |
    (messageContent ? GatewayIntentBits.MessageContent : 0) |
    GatewayIntentBits.DirectMessages
  );
}

export function createEventClient(options: EventClientOptions): Client {
  const client = new Client({
    intents: gatewayIntents(options.messageContent),
    // DM channels are never cached up front: without this their messages are dropped.
    partials: [Partials.Channel],
    rest: { api: options.apiUrl },
    // The gateway only turns events into jobs: it needs no message, member or
    // presence history, and bounded caches keep its memory flat however many
    // channels and people it sees (every edit of the bot's own answers arrives too).
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      GuildMessageManager: 0,
      DMMessageManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      PresenceManager: 0,
      ThreadMemberManager: 0,
      VoiceStateManager: 0,
      GuildMemberManager: {
        maxSize: 1_000,
        keepOverLimit: (member) => member.id === member.client.user.id,
      },
      UserManager: {
        maxSize: 1_000,
        keepOverLimit: (user) => user.id === user.client.user.id,
      },
    }),
  });
  client.token = options.token;
  client.rest.setToken(options.token);
  return client;
}

/** Feeds the raw dispatches of the shards this process holds to `client`. */
export class EventFeed {
  private readonly sink: PacketSink;
  /** Per shard, the dispatches in order: one waiting for a fetch holds back those after it. */
  private readonly lines = new Map<number, Promise<unknown>>();
  private readonly fetchingGuilds = new Map<string, Promise<void>>();
  private readonly fetchingChannels = new Map<string, Promise<void>>();

  constructor(
    private readonly client: Client,
    private readonly options: EventClientOptions,
  ) {
    this.sink = client.ws as unknown as PacketSink;
  }

  /** Sets the bot user (`GET /users/@me`): every session, identified or resumed, knows it then. */
  async start(): Promise<void> {
    await this.options.spend();
    const user = (await this.client.rest.get(Routes.user())) as APIUser;
    this.sink.status = Status.Ready;
    this.sink.handlePacket(
      {
        t: GatewayDispatchEvents.Ready,
        s: 0,
        op: 0,
        d: { user, guilds: [], application: { id: this.options.applicationId, flags: 0 } },
      },
      { id: 0, checkReady: () => undefined },
    );
  }

  /**
   * Hands a dispatch to discord.js; the listeners' handling of it (messages,
   * interactions: `collect` gathers their promises) settles the result.
   */
  feed(
    payload: GatewayDispatchPayload,
    shardId: number,
    collect: (run: () => void) => Promise<unknown>,
  ): Promise<unknown> | undefined {
    // The websocket's own: the shard connection follows them.
    if (payload.t === GatewayDispatchEvents.Ready || payload.t === GatewayDispatchEvents.Resumed)
      return undefined;
    if (payload.t === GatewayDispatchEvents.InteractionCreate) {
      const age = Date.now() - SnowflakeUtil.timestampFrom(payload.d.id);
      if (age > INTERACTION_DEADLINE_MS) {
        this.options.log.debug(
          { shard: shardId, interactionId: payload.d.id, ageMs: age },
          'skipping a replayed Discord interaction past its 3 s deadline',
        );
        return undefined;
      }
    }
    const before = this.prepare(payload);
    const line = this.lines.get(shardId);
    const shard = { id: shardId };
    if (!before && !line) {
      const handled = collect(() => this.sink.handlePacket(payload, shard));
      return handled;
    }
    const mine = (line ?? Promise.resolve())
      .then(() => before)
      .then(() => collect(() => this.sink.handlePacket(payload, shard)));
    // Only the feeding is in line; a question's handling runs alongside the next events.
    const fed = mine.then(
      () => undefined,
      () => undefined,
    );
    this.lines.set(shardId, fed);
    void fed.then(() => {
      if (this.lines.get(shardId) === fed) this.lines.delete(shardId);
    });
    return mine;
  }

  /** A fetch that must come before this event is fed (its server or channel unknown); else undefined. */
  private prepare(payload: GatewayDispatchPayload): Promise<void> | undefined {
    let guildId: string | undefined;
    let channelId: string | undefined;
    let patience: number | undefined;
    if (payload.t === GatewayDispatchEvents.MessageCreate) {
      guildId = payload.d.guild_id;
      channelId = guildId ? payload.d.channel_id : undefined;
    } else if (payload.t === GatewayDispatchEvents.InteractionCreate) {
      guildId = payload.d.guild_id;
      channelId = guildId ? (payload.d.channel?.id ?? payload.d.channel_id) : undefined;
      patience = INTERACTION_FETCH_PATIENCE_MS;
    } else return undefined;
    const needGuild = guildId !== undefined && !this.client.guilds.cache.has(guildId);
    const needChannel = channelId !== undefined && !this.client.channels.cache.has(channelId);
    if (!needGuild && !needChannel) return undefined;
    const fetches = (async () => {
      if (needGuild) await this.fetchGuild(guildId!);
      if (needChannel) await this.fetchChannel(channelId!);
    })();
    if (patience === undefined) return fetches;
    return Promise.race([fetches, new Promise<void>((resolve) => setTimeout(resolve, patience))]);
  }

  private fetchGuild(guildId: string): Promise<void> {
    return once(this.fetchingGuilds, guildId, async () => {
      let guild: Partial<APIGuild> & { id: string };
      try {
        await this.options.spend();
        guild = (await this.client.rest.get(Routes.guild(guildId))) as APIGuild;
      } catch (error) {
        // Unknown roles only: the bot's own role is then not recognised in mentions.
        this.options.log.warn(
          { err: error, guildId },
          'could not fetch a Discord server; its roles are unknown',
        );
        guild = { id: guildId, name: '', roles: [] };
      }
      if (this.client.guilds.cache.has(guildId)) return;
      // A server from REST has no channels: they are fetched one by one as they are needed.
      (this.client.guilds as unknown as Adds)._add({
        ...guild,
        channels: [],
        threads: [],
        members: [],
      });
    });
  }

  private fetchChannel(channelId: string): Promise<void> {
    return once(this.fetchingChannels, channelId, async () => {
      try {
        await this.options.spend();
        const channel = (await this.client.rest.get(Routes.channel(channelId))) as APIChannel;
        if (!this.client.channels.cache.has(channelId))
          (this.client.channels as unknown as Adds)._add(channel);
      } catch (error) {
        this.options.log.warn(
          { err: error, channelId },
          'could not fetch a Discord channel; answering as in a plain channel',
        );
      }
    });
  }
}

/** discord.js's cache managers' entry for raw data (private in its typings). */
interface Adds {
  _add(data: unknown): unknown;
}

/** Runs `work` once per key at a time; callers meanwhile share its promise. */
function once(
  running: Map<string, Promise<void>>,
  key: string,
  work: () => Promise<void>,
): Promise<void> {
  const existing = running.get(key);
  if (existing) return existing;
  const mine = work().finally(() => running.delete(key));
  running.set(key, mine);
  return mine;
}
