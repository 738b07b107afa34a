import type { FakeContext } from './context.js';
import { visibleText, type MessageContent } from './content.js';
import { tsAt } from './ids.js';
import type { StoredMessage, TextVersion } from './types.js';

/** Stores a message the bot wrote and takes away the thread's status, as Slack does. */
export function addBotMessage(
  ctx: FakeContext,
  input: {
    channel: string;
    threadTs: string | undefined;
    content: MessageContent;
    origin: StoredMessage['origin'];
    via: TextVersion['via'];
    now: number;
  },
): StoredMessage {
  const { state, options } = ctx;
  const { content, now } = input;
  const m = state.addMessage({
    channel: input.channel,
    ts: state.clock.next(now),
    ...(input.threadTs !== undefined ? { threadTs: input.threadTs } : {}),
    user: options.botUserId,
    botId: options.botId,
    text: content.text ?? '',
    ...(content.markdown !== undefined ? { markdown: content.markdown } : {}),
    ...(content.blocks ? { blocks: content.blocks } : {}),
    history: [],
    postedAt: now,
    deleted: false,
    origin: input.origin,
  });
  state.show(m, visibleText(content), input.via, now);
  state.botReplied(input.channel, input.threadTs, now);
  return m;
}

export const isBots = (ctx: FakeContext, m: StoredMessage): boolean =>
  m.user === ctx.options.botUserId && m.botId === ctx.options.botId;

/** The `message` object Slack returns from chat methods. */
export function messagePayload(ctx: FakeContext, m: StoredMessage): Record<string, unknown> {
  const { options } = ctx;
  const parent = m.threadTs ? ctx.state.message(m.channel, m.threadTs) : undefined;
  return {
    type: 'message',
    ...(m.user ? { user: m.user } : {}),
    ...(m.botId ? { bot_id: m.botId, app_id: options.appId } : {}),
    text: m.text,
    ts: m.ts,
    team: options.teamId,
    ...(m.threadTs ? { thread_ts: m.threadTs, parent_user_id: parent?.user } : {}),
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.files ? { files: m.files.map((id) => ({ id })) } : {}),
    ...(m.editedAt ? { edited: { user: m.user, ts: tsAt(m.editedAt) } } : {}),
    ...(m.botId === options.botId
      ? {
          bot_profile: {
            id: options.botId,
            app_id: options.appId,
            name: options.botName,
            team_id: options.teamId,
            deleted: false,
          },
        }
      : {}),
  };
}
