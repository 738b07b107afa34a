/**
 * The Discord gateway adapter: holds the websocket, turns messages that talk
 * to the bot into jobs, and does nothing slow itself.
 */
import { Client, Events, GatewayIntentBits, Options, Partials, type Message } from 'discord.js';
import type { Logger } from '../../log.js';
import type { JobSink, ModelSuggestions } from '../platform.js';
import { createInteractionHandler } from './interactions.js';
import { toChatJob } from './messages.js';
import { notQueued, type NoticeDeps } from '../../core/notice.js';

export interface DiscordGatewayOptions {
  readonly token: string;
  readonly apiUrl: string;
  readonly producer: JobSink;
  readonly models: ModelSuggestions;
  readonly log: Logger;
  /** The workers' surface and budget, for the sentence about a question not queued. */
  readonly notices: NoticeDeps;
}

export async function startDiscordGateway(options: DiscordGatewayOptions): Promise<Client> {
  const { log, producer } = options;
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
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
  client.on(Events.ShardDisconnect, (event, shard) =>
    log.warn({ code: event.code, shard }, 'Discord gateway disconnected'),
  );

  async function onMessage(message: Message): Promise<void> {
    const botId = client.user?.id;
    if (!botId) return;
    const job = toChatJob(
      {
        id: message.id,
        channelId: message.channelId,
        guildId: message.guildId,
        // Threads come with the Guilds intent (GUILD_CREATE, THREAD_CREATE): an unknown channel counts as strict.
        sharedChannel:
          message.inGuild() &&
          !!message.channel &&
          !message.channel.isThread() &&
          !message.channel.isDMBased(),
        content: message.content,
        createdAt: message.createdAt,
        author: {
          id: message.author.id,
          name:
            message.member?.displayName ?? message.author.displayName ?? message.author.username,
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
      },
      botId,
    );
    if (!job) return;
    try {
      const result = await producer.enqueueChat(job);
      log.info(
        { ...result, platform: job.platform, tenantId: job.tenantId },
        'Discord mention queued',
      );
    } catch (error) {
      await notQueued(options.notices, job, error);
    }
  }

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(options.token);
  await ready;
  log.info({ user: client.user?.tag }, 'Discord gateway ready');
  return client;
}
