/**
 * The Discord gateway adapter: holds this process's share of the bot's
 * shards (leased in the queue's store, see shard-coordination.ts), turns
 * messages that talk to the bot into jobs, and does nothing slow itself.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  ChannelType,
  Events,
  GatewayCloseCodes,
  Routes,
  type APIGatewayBotInfo,
  type Client,
  type Message,
} from 'discord.js';
import { abortable } from '../../core/abortable.js';
import type { ChatJob } from '../../core/jobs.js';
import type { ShardCoordination, ShardMembership } from '../../core/shard-coordination.js';
import type { SettingsSource } from '../../core/settings/index.js';
import type { Logger } from '../../log.js';
import type { JobSink, ModelSuggestions } from '../platform.js';
import { discordIntentError } from './credentials.js';
import { createEventClient, EventFeed, gatewayIntents } from './event-client.js';
import { createInteractionHandler, parentOfThread, withParent } from './interactions.js';
import { attachmentsOf } from './attachments.js';
import { inNewThread, mayOpenThread, toChatJob, type IncomingDiscordMessage } from './messages.js';
import { notQueued, type NoticeDeps } from '../../core/notice.js';
import { ShardConnection } from './shard-connection.js';

export interface DiscordGatewayOptions {
  readonly token: string;
  readonly apiUrl: string;
  readonly applicationId: string;
  readonly producer: JobSink;
  readonly models: ModelSuggestions;
  readonly log: Logger;
  /** The workers' surface and budget, for the sentence about a question not queued. */
  readonly notices: NoticeDeps;
  /** Ask for the Message Content intent (DISCORD_MESSAGE_CONTENT). */
  readonly messageContent: boolean;
  /** Where a server's `reply_in_thread` is read. */
  readonly settings: Pick<SettingsSource, 'get'>;
  /** DISCORD_SHARDS: `auto` takes the count `GET /gateway/bot` recommends. */
  readonly shards: 'auto' | number;
  /** Where the gateway processes lease shards and keep their sessions. */
  readonly coordination: ShardCoordination;
  /** Waits for the shared budget before one of the gateway's own REST calls. */
  readonly spend?: () => Promise<void>;
  /** How often the lease loop renews and claims (its first claims come after one); default 2 s. */
  readonly leaseTickMs?: number;
  /**
   * Who holds this process's leases: the same in a restart of the same
   * process (host and port), which then takes back the shards the one before
   * held without waiting for their leases to lapse. Unset: unique to this run.
   */
  readonly owner?: string;
  /** Told how many shards this process holds, whenever that changes. */
  readonly onShardsHeld?: (count: number) => void;
}

export interface DiscordGateway {
  /** The discord.js client the events arrive on (its caches, for tests). */
  readonly client: Client;
  readonly shardCount: number;
  /** The shards this process holds now. */
  shards(): readonly number[];
  /** Gives every shard up (resumable by the other gateways), then closes. */
  close(): Promise<void>;
}

/**
 * How long a start waits for its first shard beyond the lease loop's first
 * tick (when its first claims are made).
 */
const FIRST_TAKE_PATIENCE_MS = 3_000;
/** How long a start waits for its first shard to connect (a refusal such as 4014 ends it). */
const FIRST_CONNECT_PATIENCE_MS = 30_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** How long a question waits for its server's `reply_in_thread` before it is answered in place. */
const SETTINGS_PATIENCE_MS = 2_000;

export async function startDiscordGateway(options: DiscordGatewayOptions): Promise<DiscordGateway> {
  const { log, producer } = options;
  const spend = options.spend ?? (() => Promise.resolve());
  const client = createEventClient({ ...options, spend });
  const feed = new EventFeed(client, { ...options, spend });

  /** The listeners' work for the dispatch being fed now (see EventFeed.feed). */
  let started: Promise<unknown>[] | undefined;
  const collect = (run: () => void): Promise<unknown> => {
    const mine: Promise<unknown>[] = [];
    started = mine;
    try {
      run();
    } finally {
      started = undefined;
    }
    return Promise.allSettled(mine);
  };

  client.on(Events.MessageCreate, (message) => {
    const handling = onMessage(message).catch((error: unknown) =>
      log.error({ err: error, messageId: message.id }, 'could not handle a Discord message'),
    );
    started?.push(handling);
  });
  const onInteraction = createInteractionHandler({ producer, models: options.models, log });
  client.on(Events.InteractionCreate, (interaction) => {
    const handling = onInteraction(interaction).catch((error: unknown) =>
      log.error(
        { err: error, interactionId: interaction.id },
        'could not handle a Discord interaction',
      ),
    );
    started?.push(handling);
  });
  client.on(Events.Error, (error) => log.error({ err: error }, 'Discord client error'));
  /** Per channel, the question still deciding where its answer goes: they are queued in order. */
  const deciding = new Map<string, Promise<unknown>>();
  function inTurn<T>(channelId: string, step: () => Promise<T>): Promise<T> {
    const mine = (deciding.get(channelId) ?? Promise.resolve()).catch(() => undefined).then(step);
    deciding.set(channelId, mine);
    void mine
      .catch(() => undefined)
      .then(() => {
        if (deciding.get(channelId) === mine) deciding.delete(channelId);
      });
    return mine;
  }

  /** The server's `reply_in_thread`; in place when it cannot be read in time. */
  /** The channel's reply_in_thread (its own value, else the server's). */
  async function repliesInThreads(tenantId: string, channelId: string): Promise<boolean> {
    try {
      const settings = options.settings.get('discord', tenantId, channelId);
      return (await abortable(settings, AbortSignal.timeout(SETTINGS_PATIENCE_MS))).replyInThread;
    } catch (error) {
      log.warn(
        { err: error, tenantId, channelId },
        'could not read reply_in_thread; answering in place',
      );
      return false;
    }
  }

  async function onMessage(message: Message): Promise<void> {
    const botId = client.user?.id;
    if (!botId) return;
    const incoming = incomingMessage(message, botId);
    const asked = toChatJob(incoming, botId, { messageContent: options.messageContent });
    if (!asked) return;
    // The answer's place is decided before queueing, in arrival order per channel:
    // a new thread's key is the thread's, so questions asked in it wait for this answer.
    const { job, queued } = await inTurn(asked.channelId, async () => {
      const job: ChatJob =
        mayOpenThread(incoming, asked) && (await repliesInThreads(asked.tenantId, asked.channelId))
          ? inNewThread(asked, message.content)
          : asked;
      return { job, queued: producer.enqueueChat(job) };
    });
    try {
      const result = await queued;
      log.info(
        { ...result, platform: job.platform, tenantId: job.tenantId },
        'Discord mention queued',
      );
    } catch (error) {
      await notQueued(options.notices, job, error);
    }
  }

  try {
    await feed.start();
  } catch (error) {
    await client.destroy();
    throw error;
  }
  await spend();
  const gateway = (await client.rest.get(Routes.gatewayBot())) as APIGatewayBotInfo;
  const shardCount = options.shards === 'auto' ? Math.max(1, gateway.shards) : options.shards;

  // Discord closes with 4014 when the portal's switch for a privileged intent is off.
  let refuse: ((error: Error) => void) | undefined;
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  refused.catch(() => undefined);
  const onFatalClose = (code: number, shard: number) => {
    if (code === GatewayCloseCodes.DisallowedIntents) {
      // At start-up it stops the service with this line; later it is the line.
      if (refuse) refuse(discordIntentError());
      else log.error({ code, shard }, discordIntentError().message);
      return;
    }
    log.error({ code, shard }, 'Discord closed the gateway for good');
  };

  const connections = new Map<number, ShardConnection>();
  let stopping = false;
  /** The first shard's connection, which a start waits for. */
  let firstOpen: Promise<void> | undefined;
  let firstTaken: () => void = () => undefined;
  const taken = new Promise<void>((resolve) => (firstTaken = resolve));
  const held = () => options.onShardsHeld?.(connections.size);
  const handlers = {
    acquire: async (shardId: number) => {
      const connection = new ShardConnection({
        shardId,
        shardCount,
        token: options.token,
        intents: gatewayIntents(options.messageContent),
        rest: client.rest,
        gateway,
        sessions: options.coordination.sessions,
        identify: options.coordination.identify,
        log,
        onDispatch: (payload, id) => feed.feed(payload, id, collect),
        onFatalClose,
      });
      connections.set(shardId, connection);
      held();
      log.info({ shard: shardId, shardCount }, 'Discord shard acquired');
      const open = connection.open();
      if (!firstOpen) {
        firstOpen = open.catch(() => undefined);
        firstTaken();
      }
      try {
        await open;
      } catch (error) {
        if (connections.get(shardId) === connection) connections.delete(shardId);
        held();
        await connection.close();
        // Given up while connecting because the gateway stops: nothing went wrong.
        if (stopping) return;
        log.error({ shard: shardId, err: error }, 'could not connect a Discord shard');
        throw error;
      }
    },
    release: async (shardId: number) => {
      const connection = connections.get(shardId);
      if (!connection) return;
      connections.delete(shardId);
      held();
      await connection.close();
      log.info({ shard: shardId, shardCount }, 'Discord shard released');
    },
  };

  let membership: ShardMembership | undefined;
  try {
    membership = await Promise.race([
      options.coordination.join({
        owner: options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
        shardCount,
        handlers,
      }),
      refused,
    ]);
    // The first shard taken connects before the start counts as done: a refusal
    // (4014) ends it. A process finding no free shard (more gateways than
    // shards) is started too.
    const tick = options.leaseTickMs ?? 2_000;
    await Promise.race([taken, delay(tick + FIRST_TAKE_PATIENCE_MS), refused]);
    if (firstOpen) await Promise.race([firstOpen, delay(FIRST_CONNECT_PATIENCE_MS), refused]);
  } catch (error) {
    await membership?.leave().catch(() => undefined);
    for (const connection of connections.values()) await connection.close();
    await client.destroy();
    throw error;
  } finally {
    refuse = undefined;
  }
  log.info(
    { user: client.user?.tag, shardCount, shards: membership.shards },
    'Discord gateway ready',
  );
  const joined = membership;
  return {
    client,
    shardCount,
    shards: () => [...connections.keys()].sort((a, b) => a - b),
    close: async () => {
      stopping = true;
      // A shard still connecting (waiting for its identify turn, or for
      // Discord) is given up first: leaving waits for it otherwise.
      await Promise.all(
        [...connections.values()].filter((c) => !c.connected).map((c) => c.close()),
      );
      await joined.leave();
      for (const connection of connections.values()) await connection.close();
      connections.clear();
      held();
      await client.destroy();
    },
  };
}

/** What the core's job needs of a Discord message, read off discord.js's. */
function incomingMessage(message: Message, botId: string): IncomingDiscordMessage {
  const channel = message.channel;
  return {
    id: message.id,
    channelId: message.channelId,
    ...withParent(parentOfThread(channel)),
    guildId: message.guildId,
    // Threads come with the Guilds intent (GUILD_CREATE, THREAD_CREATE): an unknown channel counts as strict.
    sharedChannel: message.inGuild() && !!channel && !channel.isThread() && !channel.isDMBased(),
    content: message.content,
    attachments: attachmentsOf(message),
    createdAt: message.createdAt,
    author: {
      id: message.author.id,
      name: message.member?.displayName ?? message.author.displayName ?? message.author.username,
      bot: message.author.bot,
    },
    mentionedUsers: new Map(
      message.mentions.users.map((user) => [
        user.id,
        message.mentions.members?.get(user.id)?.displayName ?? user.displayName,
      ]),
    ),
    botRoleIds: message.mentions.roles
      .filter((role) => role.tags?.botId === botId)
      .map((role) => role.id),
    repliesToBot: message.reference !== null && message.mentions.repliedUser?.id === botId,
    place: channel.isThread()
      ? channel.ownerId === botId
        ? 'bot-thread'
        : 'thread'
      : channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement
        ? 'threadable'
        : 'channel',
  };
}
