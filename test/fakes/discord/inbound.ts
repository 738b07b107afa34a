import type { MessageEvents } from './events.js';
import { newMessage } from './message-input.js';
import { snowflake } from './snowflake.js';
import type { FakeState } from './state.js';
import type { FakeUser, StoredMessage } from './types.js';

export interface SendMessageInput {
  channelId: string;
  /** Optional; checked against the channel's guild. */
  guildId?: string;
  author: FakeUser;
  content: string;
  /** Puts `<@bot>` in front of the content unless it is already there. */
  mentionsBot?: boolean;
  mentions?: FakeUser[];
  /** A message in the same channel; the reply pings its author unless replyPing is false. */
  replyTo?: string;
  replyPing?: boolean;
  attachments?: { filename: string; contentType?: string; bytes: Buffer }[];
}

/** A user's message as Discord would deliver it: mentions parsed from `<@id>`, replies ping. */
export function userMessage(
  state: FakeState,
  events: MessageEvents,
  m: SendMessageInput,
): StoredMessage {
  const ch = state.requireChannel(m.channelId);
  if (m.guildId !== undefined && m.guildId !== ch.guildId) {
    throw new Error(`channel ${ch.id} is not in guild ${m.guildId}`);
  }
  if (ch.type === 1 && ch.recipient?.id !== m.author.id) {
    throw new Error(`only ${ch.recipient?.id ?? '?'} can write in DM ${ch.id}`);
  }
  const author = state.rememberUser(m.author);
  for (const u of m.mentions ?? []) state.rememberUser(u);
  const botTag = `<@${state.bot.id}>`;
  const content =
    m.mentionsBot && !m.content.includes(botTag) ? `${botTag} ${m.content}` : m.content;
  const mentioned = new Map((m.mentions ?? []).map((u) => [u.id, u]));
  for (const [, id] of content.matchAll(/<@!?(\d{17,20})>/g)) {
    const u = state.users.get(id ?? '');
    if (u) mentioned.set(u.id, u);
  }
  const replyTo = m.replyTo ? state.requireMessage(ch.id, m.replyTo) : undefined;
  if (replyTo && m.replyPing !== false) mentioned.set(replyTo.author.id, replyTo.author);
  const msg = newMessage({
    channelId: ch.id,
    ...(ch.guildId ? { guildId: ch.guildId } : {}),
    author,
    content,
    type: replyTo ? 19 : 0,
    mentions: [...mentioned.values()],
    mentionEveryone: /@(everyone|here)\b/.test(content),
    attachments: (m.attachments ?? []).map((a) => ({
      id: snowflake(),
      filename: a.filename,
      contentType: a.contentType ?? 'application/octet-stream',
      size: a.bytes.length,
      bytes: a.bytes,
      issuedAt: Date.now(),
    })),
    ...(replyTo
      ? {
          messageReference: {
            messageId: replyTo.id,
            channelId: ch.id,
            ...(ch.guildId ? { guildId: ch.guildId } : {}),
          },
        }
      : {}),
  });
  state.addMessage(msg);
  events.created(msg);
  return msg;
}
