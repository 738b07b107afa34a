/** Turns a Discord message that talks to the bot into a platform-neutral ChatJob. */
import { questionText } from '../../core/conversation.js';
import { encodeConversationKey } from '../../core/conversation-key.js';
import type { ChatJob } from '../../core/jobs.js';

export interface IncomingDiscordMessage {
  readonly id: string;
  readonly channelId: string;
  /** The channel a thread is in, when the message is in a thread: its settings apply there. */
  readonly parentChannelId?: string;
  readonly guildId: string | null;
  readonly content: string;
  readonly createdAt: Date;
  readonly author: { readonly id: string; readonly name: string; readonly bot: boolean };
  /** Users mentioned in the message, by id, with the name to show the model. */
  readonly mentionedUsers: ReadonlyMap<string, string>;
  /** Mentioned roles that are the bot's own managed role (people pick it from autocomplete). */
  readonly botRoleIds: readonly string[];
}

/** The ChatJob for a message that mentions the bot (or any DM); undefined for the rest. */
export function toChatJob(message: IncomingDiscordMessage, botId: string): ChatJob | undefined {
  if (message.author.bot) return undefined;
  const isDm = message.guildId === null;
  if (!isDm && !message.mentionedUsers.has(botId) && message.botRoleIds.length === 0)
    return undefined;
  return {
    v: 1,
    platform: 'discord',
    tenantId: message.guildId ?? `dm:${message.author.id}`,
    // Thread ids are channel ids: a thread is a conversation of its own.
    conversationKey: encodeConversationKey({ channelId: message.channelId }),
    channelId: message.channelId,
    ...(message.parentChannelId ? { parentChannelId: message.parentChannelId } : {}),
    messageId: message.id,
    // Discord answers are replies to the question, in its channel or thread.
    replyTo: message.id,
    author: { id: message.author.id, name: message.author.name },
    text: cleanText(message.content, [botId, ...message.botRoleIds], message.mentionedUsers),
    receivedAt: message.createdAt.toISOString(),
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
