import { addBotMessage, isBots, messagePayload } from './bot-messages.js';
import { MARKDOWN_LIMIT, MAX_BLOCKS, readBlocks } from './content.js';
import type { FakeContext, MethodTable } from './context.js';
import { fail } from './errors.js';
import type { Params } from './params.js';
import type { StoredMessage } from './types.js';

const TASK_STATUSES = ['pending', 'in_progress', 'complete', 'error'];

interface StreamContent {
  /** Markdown this call appends (from `markdown_text` or `markdown_text` chunks). */
  markdown: string;
  /** The other chunks: task and plan updates, blocks. */
  otherChunks: unknown[];
  /** Which argument carried content; undefined when the call carried none. */
  mode?: 'markdown_text' | 'chunks';
}

/** A chunk as the web-api `AnyChunk` types describe it, or `invalid_chunks`. */
function checkChunk(chunk: unknown): void {
  const c = (chunk ?? {}) as Record<string, unknown>;
  const isStr = (k: string) => typeof c[k] === 'string';
  switch (c['type']) {
    case 'markdown_text':
      if (!isStr('text')) throw fail('invalid_chunks', 'markdown_text chunk needs text');
      return;
    case 'task_update':
      if (!isStr('id') || !isStr('title') || !TASK_STATUSES.includes(String(c['status']))) {
        throw fail('invalid_chunks', 'task_update chunk needs id, title and a known status');
      }
      return;
    case 'plan_update':
      if (!isStr('title')) throw fail('invalid_chunks', 'plan_update chunk needs title');
      return;
    case 'blocks':
      if (!Array.isArray(c['blocks'])) throw fail('invalid_chunks', 'blocks chunk needs blocks');
      if (c['blocks'].length > MAX_BLOCKS) throw fail('msg_blocks_too_many');
      return;
    default:
      throw fail('invalid_chunks', `unknown chunk type ${String(c['type'])}`);
  }
}

function readStreamContent(p: Params): StreamContent {
  const markdown = p.text('markdown_text');
  const chunks = p.json('chunks', 'invalid_chunks');
  if (chunks !== undefined && !Array.isArray(chunks)) throw fail('invalid_chunks');
  const list = (chunks as unknown[] | undefined) ?? [];
  // Both forms in one call: the docs offer them as alternatives; refuse the mix.
  if (markdown !== undefined && list.length) {
    throw fail('invalid_arguments', 'markdown_text and chunks cannot be used together');
  }
  if (markdown !== undefined) return { markdown, otherChunks: [], mode: 'markdown_text' };
  list.forEach(checkChunk);
  const md = list
    .filter((c) => (c as { type: string }).type === 'markdown_text')
    .map((c) => (c as { text: string }).text)
    .join('');
  const otherChunks = list.filter((c) => (c as { type: string }).type !== 'markdown_text');
  return list.length
    ? { markdown: md, otherChunks, mode: 'chunks' }
    : { markdown: '', otherChunks };
}

/** chat.startStream, chat.appendStream, chat.stopStream: Slack's native AI streaming. */
export function streamMethods(ctx: FakeContext): MethodTable {
  const { state, options } = ctx;

  /** The stream a call names, refused as Slack refuses messages that take no more. */
  const streamTarget = (p: Params, op: 'append' | 'stop'): StoredMessage => {
    const ch = state.requireChannel(p.text('channel'));
    const m = state.requireMessage(ch.id, p.text('ts'));
    if (!isBots(ctx, m)) throw fail('message_not_owned_by_app');
    // stopped_by_user is documented for appendStream only; stopStream's list
    // has just message_not_in_streaming_state.
    if (m.streaming === 'stopped_by_user' && op === 'append') throw fail('stopped_by_user');
    if (m.streaming !== 'streaming') throw fail('message_not_in_streaming_state');
    return m;
  };

  /** Appends a call's content to the stream: one form per stream, 12,000 characters in all. */
  const append = (m: StoredMessage, c: StreamContent, via: 'append' | 'stop', now: number) => {
    if (options.streamModeLock && c.mode) {
      if (m.streamMode && m.streamMode !== c.mode) throw fail('streaming_mode_mismatch');
      m.streamMode = c.mode;
    }
    const current = m.markdown ?? '';
    if (current.length + c.markdown.length > MARKDOWN_LIMIT) throw fail('msg_too_long');
    if (c.otherChunks.length) m.chunks = [...(m.chunks ?? []), ...c.otherChunks];
    if (!c.markdown) return;
    m.markdown = current + c.markdown;
    m.text = m.markdown;
    state.show(m, m.markdown, via, now);
  };

  return {
    'chat.startStream': {
      auth: 'bot',
      handle({ params, now }) {
        if (!options.streamingEnabled) throw fail('feature_not_enabled');
        const ch = state.writableChannel(params.text('channel'));
        const asked = params.text('thread_ts');
        // Streams answer a user: outside DMs they are thread replies.
        if (asked === undefined && !ch.isIm) {
          throw fail('invalid_arguments', 'thread_ts is required when streaming to a channel');
        }
        const threadTs = asked !== undefined ? state.threadRoot(ch.id, asked) : undefined;
        const recipient = params.text('recipient_user_id');
        const team = params.text('recipient_team_id');
        if (!ch.isIm || options.dmStreamsNeedRecipients) {
          if (!recipient) throw fail('missing_recipient_user_id');
          if (!team) throw fail('missing_recipient_team_id');
        }
        const user = recipient ? state.users.get(recipient) : undefined;
        if (recipient && !user) throw fail('user_not_found');
        if (team && team !== (user?.teamId ?? options.teamId)) throw fail('team_not_found');
        const content = readStreamContent(params);
        if (content.markdown.length > MARKDOWN_LIMIT) throw fail('msg_too_long');
        const m = addBotMessage(ctx, {
          channel: ch.id,
          threadTs,
          content: { markdown: content.markdown, text: content.markdown },
          origin: 'bot',
          via: 'start',
          now,
        });
        m.streaming = 'streaming';
        m.streamStartedAt = now;
        if (content.mode) m.streamMode = content.mode;
        if (content.otherChunks.length) m.chunks = content.otherChunks;
        return { channel: ch.id, ts: m.ts };
      },
    },

    'chat.appendStream': {
      auth: 'bot',
      handle({ params, now }) {
        const m = streamTarget(params, 'append');
        const content = readStreamContent(params);
        if (!content.mode) throw fail('no_text');
        append(m, content, 'append', now);
        return { channel: m.channel, ts: m.ts };
      },
    },

    'chat.stopStream': {
      auth: 'bot',
      handle({ params, now }) {
        const m = streamTarget(params, 'stop');
        const blocks = readBlocks(params);
        // Text given to stop is appended, never a replacement of what streamed.
        append(m, readStreamContent(params), 'stop', now);
        if (blocks) m.finalBlocks = blocks;
        m.streaming = 'stopped';
        return { channel: m.channel, ts: m.ts, message: messagePayload(ctx, m) };
      },
    },
  };
}

/** What pressing "stop" in Slack does to a stream; the test hook behind `fake.stopStreamByUser`. */
export function stopByUser(ctx: FakeContext, channel: string, ts: string): void {
  const m = ctx.state.message(channel, ts);
  if (!m || m.streaming !== 'streaming') {
    throw new Error(`fake-slack: ${channel}/${ts} is not a streaming message`);
  }
  m.streaming = 'stopped_by_user';
}
