/**
 * The Discord gateway adapter: holds the websocket, turns messages that talk
 * to the bot into jobs, and does nothing slow itself.
 */
import {
  ChannelType,
  Client,
  Events,
  GatewayCloseCodes,
  GatewayIntentBits,
  Options,
  Partials,
  type Message,
} from 'discord.js';
import { abortable } from '../../core/abortable.js';
import type { ChatJob } from '../../core/jobs.js';
import type { SettingsSource } from '../../core/settings/index.js';
import type { Logger } from '../../log.js';
import type { JobSink, ModelSuggestions } from '../platform.js';
import { discordIntentError } from './credentials.js';
import { createInteractionHandler, parentOfThread, withParent } from './interactions.js';
import { attachmentsOf } from './attachments.js';
import { inNewThread, mayOpenThread, toChatJob, type IncomingDiscordMessage } from './messages.js';
import { notQueued, type NoticeDeps } from '../../core/notice.js';

export interface DiscordGatewayOptions {
  readonly token: string;
  readonly apiUrl: string;
  readonly producer: JobSink;
  readonly models: ModelSuggestions;
  readonly log: Logger;
  /** The workers' surface and budget, for the sentence about a question not queued. */
  readonly notices: NoticeDeps;
  /** Ask for the Message Content intent (DISCORD_MESSAGE_CONTENT). */
  readonly messageContent: boolean;
  /** Where a server's `reply_in_thread` is read. */
  readonly settings: Pick<SettingsSource, 'get'>;
}

/** How long a question waits for its server's `reply_in_thread` before it is answered in place. */
const SETTINGS_PATIENCE_MS = 2_000;

export async function startDiscordGateway(options: DiscordGatewayOptions): Promise<Client> {
  const { log, producer } = options;
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      ...(options.messageContent ? [GatewayIntentBits.MessageContent] : []),
      GatewayIntentBits.DirectMessages,
    ],
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

  client.on(Events.MessageCreate, (message) => {
    void onMessage(message).catch((error: unknown) =>
      log.error({ err: error, messageId: message.id }, 'could not handle a Discord message'),
    );
  });
  const onInteraction = createInteractionHandler({ producer, models: options.models, log });
  client.on(Events.InteractionCreate, (interaction) => {
    void onInteraction(interaction).catch((error: unknown) =>
      log.error(
        { err: error, interactionId: interaction.id },
        'could not handle a Discord interaction',
      ),
    );
  });
  client.on(Events.Error, (error) => log.error({ err: error }, 'Discord client error'));
  // Discord closes with 4014 when the portal's switch for a privileged intent is off.
  let refuse: ((error: Error) => void) | undefined;
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  refused.catch(() => undefined);
  client.on(Events.ShardDisconnect, (event, shard) => {
    if (event.code === GatewayCloseCodes.DisallowedIntents) {
      // At start-up it stops the service with this line; later it is the line.
      if (refuse) refuse(discordIntentError());
      else log.error({ code: event.code, shard }, discordIntentError().message);
      return;
    }
    log.warn({ code: event.code, shard }, 'Discord gateway disconnected');
  });

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

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await Promise.race([client.login(options.token).then(() => ready), refused]);
  } catch (error) {
    await client.destroy();
    throw error;
  } finally {
    refuse = undefined;
  }
  log.info({ user: client.user?.tag }, 'Discord gateway ready');
  return client;
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
