/**
 * Turns Slack events that talk to the bot into platform-neutral ChatJobs.
 * Slack conversations are threads: a top-level mention opens one (its answer
 * goes there), a mention in a thread continues it, so does any reply there
 * that calls on nobody once the bot has answered in it (a follow-up), and a
 * DM's top-level messages are one running conversation.
 */
import { questionText } from '../../core/conversation.js';
import { encodeConversationKey, type ConversationKey } from '../../core/conversation-key.js';
import type { ChatJob } from '../../core/jobs.js';
import { attachmentsOfFiles, type SlackFile } from './files.js';
import { mentionsAnyone } from './text.js';

/** The fields of an `app_mention` or `message` event that matter here. */
export interface IncomingSlackMessage {
  readonly type: string;
  readonly subtype?: string;
  readonly channel: string;
  readonly channel_type?: string;
  readonly user?: string;
  readonly bot_id?: string;
  readonly text?: string;
  readonly ts: string;
  readonly thread_ts?: string;
  /** The author's workspace (Slack Connect: may differ from the envelope's `team_id`). */
  readonly user_team?: string;
  readonly team?: string;
  /** Files shared with the message (subtype `file_share`; an `app_mention` carries them too). */
  readonly files?: readonly SlackFile[];
}

/** Where a Slack message's answer goes and which conversation it belongs to. */
export interface SlackPlace {
  readonly channelId: string;
  readonly threadId?: string;
  readonly conversationKey: ConversationKey;
}

const isDirectChannel = (event: IncomingSlackMessage) =>
  event.channel_type === 'im' || event.channel.startsWith('D');

/** Written by a person (not a bot, not the bot itself): a new message or one sharing a file. */
function byPerson(event: IncomingSlackMessage, botUserId: string, subtypes: readonly string[]) {
  if (event.bot_id || !event.user || event.user === botUserId) return false;
  return event.subtype === undefined || subtypes.includes(event.subtype);
}

/**
 * Whether the bot answers this event: mentions in channels, and a person's
 * plain messages in a DM; never bots (itself included), edits or other
 * subtypes. A mention in a DM also arrives as a `message`, which answers it.
 */
export function isQuestion(event: IncomingSlackMessage, botUserId: string): boolean {
  if (!byPerson(event, botUserId, ['file_share'])) return false;
  if (event.type === 'app_mention') return !isDirectChannel(event);
  return event.type === 'message' && isDirectChannel(event);
}

/**
 * Whether a channel `message` event is a person's file share that mentions the
 * bot: Slack has been seen to send such a message without its `app_mention`
 * (slackapi/bolt-python#925), so it is a question too. When both arrive they
 * are one job (messageEventId), answered once.
 */
export function isFileShareMention(event: IncomingSlackMessage, botUserId: string): boolean {
  return (
    event.type === 'message' &&
    event.subtype === 'file_share' &&
    !isDirectChannel(event) &&
    byPerson(event, botUserId, ['file_share']) &&
    (event.text ?? '').includes(`<@${botUserId}>`)
  );
}

/**
 * Whether a channel `message` event is a follow-up, should the bot have
 * answered in its thread: a person's reply in a thread (also sent to the
 * channel or not) that mentions nobody. A reply that mentions the bot is
 * its `app_mention`'s to answer; one that mentions someone else is for them.
 * Decided from the event alone: every message in every channel the bot is
 * in arrives here, and most stop at the first test.
 */
export function isFollowUpCandidate(event: IncomingSlackMessage, botUserId: string): boolean {
  if (event.type !== 'message' || event.thread_ts === undefined || event.thread_ts === event.ts)
    return false;
  if (isDirectChannel(event) || !byPerson(event, botUserId, ['file_share', 'thread_broadcast']))
    return false;
  return !mentionsAnyone(event.text ?? '');
}

export function placeOf(event: IncomingSlackMessage): SlackPlace {
  const channelId = event.channel;
  if (isDirectChannel(event) && !event.thread_ts)
    return { channelId, conversationKey: encodeConversationKey({ channelId }) };
  // A thread's key nests under its channel's, so /forget in a channel clears its threads.
  const threadId = event.thread_ts ?? event.ts;
  return { channelId, threadId, conversationKey: encodeConversationKey({ channelId, threadId }) };
}

/**
 * The id of the question a message event asks: its channel and ts. Slack's
 * retries repeat the envelope's event id, but an edit of a message that
 * mentions the bot arrives as a new app_mention with a new event id and the
 * same ts; either way one message is one question.
 */
export function messageEventId(event: Pick<IncomingSlackMessage, 'channel' | 'ts'>): string {
  return `${event.channel}-${event.ts}`;
}

/**
 * A Slack question is answered in strict order in its conversation (no
 * `shared`): a channel mention opens a thread of its own, and a DM is one
 * person's.
 */
export function toChatJob(
  event: IncomingSlackMessage,
  x: {
    teamId: string;
    authorName: string;
    text: string;
    /** People the text names as `@<id>` (and an author named by id): a worker names them. */
    unnamed?: readonly string[];
    receivedAt: Date;
  },
): ChatJob {
  const place = placeOf(event);
  const attachments = attachmentsOfFiles(event.files);
  const asker = event.user_team ?? event.team ?? x.teamId;
  return {
    v: 1,
    platform: 'slack',
    tenantId: x.teamId,
    conversationKey: place.conversationKey,
    channelId: place.channelId,
    ...(place.threadId ? { threadId: place.threadId } : {}),
    messageId: event.ts,
    author: {
      id: event.user!,
      name: x.authorName,
      ...(asker !== x.teamId ? { tenantId: asker } : {}),
    },
    text: questionText(x.text),
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(x.unnamed?.length ? { unnamed: x.unnamed } : {}),
    receivedAt: x.receivedAt.toISOString(),
  };
}
