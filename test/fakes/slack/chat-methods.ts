import { addBotMessage, isBots, messagePayload } from './bot-messages.js';
import { readContent, visibleText } from './content.js';
import type { FakeContext, MethodTable } from './context.js';
import { fail } from './errors.js';

/** chat.postMessage, chat.update, chat.delete, chat.postEphemeral. */
export function chatMethods(ctx: FakeContext): MethodTable {
  const { state, options } = ctx;
  return {
    'chat.postMessage': {
      auth: 'bot',
      handle({ params, now }) {
        const ch = state.writableChannel(params.text('channel'));
        const content = readContent(params, 'post');
        const asked = params.text('thread_ts');
        const threadTs = asked !== undefined ? state.threadRoot(ch.id, asked) : undefined;
        const m = addBotMessage(ctx, {
          channel: ch.id,
          threadTs,
          content,
          origin: 'bot',
          via: 'post',
          now,
        });
        return { channel: ch.id, ts: m.ts, message: messagePayload(ctx, m) };
      },
    },

    'chat.update': {
      auth: 'bot',
      handle({ params, now }) {
        const ch = state.requireChannel(params.text('channel'));
        const m = state.requireMessage(ch.id, params.text('ts'));
        if (!isBots(ctx, m)) throw fail('cant_update_message');
        // Documented: a message that is still streaming cannot be edited; once
        // the stream is over (stopped, expired, stopped by the user) it can.
        if (m.streaming === 'streaming') throw fail('streaming_state_conflict');
        const content = readContent(params, 'update');
        m.text = content.text ?? '';
        if (content.markdown !== undefined) m.markdown = content.markdown;
        else delete m.markdown;
        if (content.blocks) m.blocks = content.blocks;
        else delete m.blocks;
        m.editedAt = now;
        state.show(m, visibleText(m), 'update', now);
        return { channel: ch.id, ts: m.ts, text: m.text, message: messagePayload(ctx, m) };
      },
    },

    'chat.delete': {
      auth: 'bot',
      handle({ params, now }) {
        const ch = state.requireChannel(params.text('channel'));
        const m = state.requireMessage(ch.id, params.text('ts'));
        if (!isBots(ctx, m)) throw fail('cant_delete_message');
        // Measured by others against the live API: an open stream refuses deletion.
        if (m.streaming === 'streaming') throw fail('cant_delete_message');
        m.deleted = true;
        m.deletedAt = now;
        return { channel: ch.id, ts: m.ts };
      },
    },

    'chat.postEphemeral': {
      auth: 'bot',
      handle({ params, now }) {
        const ch = state.writableChannel(params.text('channel'));
        const user = params.text('user');
        if (!user || !state.users.has(user)) throw fail('user_not_in_channel');
        if (ch.isIm && ch.user && ch.user !== user) throw fail('user_not_in_channel');
        const content = readContent(params, 'post');
        const asked = params.text('thread_ts');
        const threadTs = asked !== undefined ? state.threadRoot(ch.id, asked) : undefined;
        state.ephemerals.push({
          channel: ch.id,
          user,
          text: content.text ?? '',
          ...(content.markdown !== undefined ? { markdown: content.markdown } : {}),
          ...(threadTs !== undefined ? { threadTs } : {}),
          at: now,
        });
        // Ephemeral messages get a ts but are never stored in the channel.
        return { message_ts: state.clock.next(now), channel: ch.id, team: options.teamId };
      },
    },
  };
}
