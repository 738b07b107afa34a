/** Turns a Discord message that talks to the bot into a platform-neutral ChatJob. */
import { questionText } from '../../core/conversation.js';
import { encodeConversationKey } from '../../core/conversation-key.js';
import type { ChatJob } from '../../core/jobs.js';

export interface IncomingDiscordMessage {
  readonly id: string;
  readonly channelId: string;
  readonly guildId: string | null;
  /**
   * The channel is a server's channel that is not a thread (text, voice
   * chat, announcements), as far as the gateway knows it: everyone there
   * talks at once. False for a thread, a DM and a channel it does not know.
   */
  readonly sharedChannel: boolean;
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
    messageId: message.id,
    // Discord answers are replies to the question, in its channel or thread.
    replyTo: message.id,
    author: { id: message.author.id, name: message.author.name },
    text: cleanText(message.content, [botId, ...message.botRoleIds], message.mentionedUsers),
    receivedAt: message.createdAt.toISOString(),
    // A server channel's questions are answered side by side, each person's
    // in order; a thread or a DM keeps strict order.
    ...(!isDm && message.sharedChannel ? { shared: true } : {}),
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
