/** Turns a Discord message that talks to the bot into a platform-neutral ChatJob. */
import type { AttachmentRef } from '../../core/attachments/types.js';
import { questionText } from '../../core/conversation.js';
import { encodeConversationKey } from '../../core/conversation-key.js';
import type { ChatJob } from '../../core/jobs.js';
import { threadName } from './surface.js';

export interface IncomingDiscordMessage {
  readonly id: string;
  readonly channelId: string;
  /** The channel a thread is in, when the message is in a thread: its settings apply there. */
  readonly parentChannelId?: string;
  readonly guildId: string | null;
  /**
   * The channel is a server's channel that is not a thread (text, voice
   * chat, announcements), as far as the gateway knows it: everyone there
   * talks at once. False for a thread, a DM and a channel it does not know.
   */
  readonly sharedChannel: boolean;
  readonly content: string;
  /** Files attached to it (empty without the Message Content intent, except mentions and DMs). */
  readonly attachments?: readonly AttachmentRef[];
  readonly createdAt: Date;
  readonly author: { readonly id: string; readonly name: string; readonly bot: boolean };
  /** Users mentioned in the message, by id, with the name to show the model (a pinged reply's author too). */
  readonly mentionedUsers: ReadonlyMap<string, string>;
  /** Mentioned roles that are the bot's own managed role (people pick it from autocomplete). */
  readonly botRoleIds: readonly string[];
  /** It replies to one of the bot's messages (with or without the ping). */
  readonly repliesToBot?: boolean;
  /**
   * Where it was written, in a server: a thread the bot opened, another
   * thread, a channel whose messages can open threads, or another channel.
   */
  readonly place?: 'bot-thread' | 'thread' | 'threadable' | 'channel';
}

export interface ChatJobOptions {
  /**
   * The gateway has the Message Content intent. Without it Discord delivers
   * the text only of DMs and of messages that mention the bot, so nothing
   * else is a question (a reply without the ping arrives empty).
   */
  readonly messageContent: boolean;
}

/**
 * Whether a message is a question for the bot: any DM; a mention (of the
 * bot or its role; a reply that pings the bot is one); and, with the Message
 * Content intent, a reply to one of its answers and any message in a thread
 * it opened. Messages in other threads and channel chatter are left alone.
 */
export function isQuestion(
  message: IncomingDiscordMessage,
  botId: string,
  options: ChatJobOptions,
): boolean {
  if (message.author.bot) return false;
  if (message.guildId === null || mentionsBot(message, botId)) return true;
  return (
    options.messageContent && (message.repliesToBot === true || message.place === 'bot-thread')
  );
}

function mentionsBot(message: IncomingDiscordMessage, botId: string): boolean {
  return message.mentionedUsers.has(botId) || message.botRoleIds.length > 0;
}

/** The ChatJob for a question (see isQuestion); undefined for the rest. */
export function toChatJob(
  message: IncomingDiscordMessage,
  botId: string,
  options: ChatJobOptions = { messageContent: true },
): ChatJob | undefined {
  if (!isQuestion(message, botId, options)) return undefined;
  return {
    v: 1,
    platform: 'discord',
    tenantId: message.guildId ?? `dm:${message.author.id}`,
    // Thread ids are channel ids: a thread is a conversation of its own, and a
    // reply to an answer continues the conversation of the channel it is in.
    conversationKey: encodeConversationKey({ channelId: message.channelId }),
    channelId: message.channelId,
    ...(message.parentChannelId ? { parentChannelId: message.parentChannelId } : {}),
    messageId: message.id,
    // Discord answers are replies to the question, in its channel or thread.
    replyTo: message.id,
    author: { id: message.author.id, name: message.author.name },
    text: cleanText(message.content, [botId, ...message.botRoleIds], message.mentionedUsers),
    ...(message.attachments?.length ? { attachments: message.attachments } : {}),
    receivedAt: message.createdAt.toISOString(),
    // A server channel's questions are answered side by side, each person's
    // in order; a thread or a DM keeps strict order.
    ...(message.guildId !== null && message.sharedChannel ? { shared: true } : {}),
  };
}

/**
 * Whether the answer to this question may open a thread of its own (when the
 * server's admins chose `reply_in_thread`): a mention with some text, in a
 * channel whose messages can start threads, that does not continue a
 * conversation by replying to an answer.
 */
export function mayOpenThread(message: IncomingDiscordMessage, job: ChatJob): boolean {
  return message.place === 'threadable' && message.repliesToBot !== true && job.text !== '';
}

/**
 * The job answered in a new thread started from the question: Discord gives
 * that thread the question's own id, so its conversation key is known before
 * it exists, and later messages in the thread wait for this first answer.
 */
export function inNewThread(job: ChatJob, content: string): ChatJob {
  // A thread name pings nobody, but raw mention tokens read badly there.
  const name = content
    .replace(/<(?:@[!&]?|#)\d+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const { shared: _channelWas, ...inThread } = job;
  return {
    // A thread keeps strict order, like every thread.
    ...inThread,
    conversationKey: encodeConversationKey({ channelId: job.messageId }),
    newThread: { name: threadName(name === '' ? job.text : name) },
  };
}

/** Drops the bot's own mention and shows other mentions as @names, as a reader sees them. */
export function cleanText(
  content: string,
  botIds: readonly string[],
  mentioned: ReadonlyMap<string, string>,
): string {
  return questionText(
    content
      .replace(/<@[!&]?(\d+)>/g, (token, id: string) => {
        if (botIds.includes(id)) return '';
        const name = mentioned.get(id);
        return name ? `@${name}` : token;
      })
      .replace(/[ \t]{2,}/g, ' '),
  );
}
