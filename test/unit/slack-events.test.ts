import { describe, expect, it } from 'vitest';
import { chatJobSchema } from '../../src/queue/jobs.js';
import {
  isFollowUpCandidate,
  isQuestion,
  placeOf,
  toChatJob,
} from '../../src/platforms/slack/events.js';
import { parseSlashCommand } from '../../src/platforms/slack/command-text.js';

const BOT = 'UBOT';
const mention = (extra: object = {}) => ({
  type: 'app_mention',
  channel: 'C1',
  user: 'U1',
  text: `<@${BOT}> hi`,
  ts: '1700000000.000100',
  ...extra,
});
const dm = (extra: object = {}) => ({
  type: 'message',
  channel: 'D1',
  channel_type: 'im',
  user: 'U1',
  text: 'hi',
  ts: '1700000000.000200',
  ...extra,
});

describe('Slack events → questions', () => {
  it('answers mentions in channels and plain messages in DMs, from people only', () => {
    expect(isQuestion(mention(), BOT)).toBe(true);
    expect(isQuestion(dm(), BOT)).toBe(true);
    expect(isQuestion(dm({ subtype: 'file_share' }), BOT)).toBe(true);
    // Bots, the bot itself, edits and joins are not questions.
    expect(isQuestion(mention({ bot_id: 'B2' }), BOT)).toBe(false);
    expect(isQuestion(dm({ user: BOT }), BOT)).toBe(false);
    expect(isQuestion(dm({ subtype: 'message_changed' }), BOT)).toBe(false);
    expect(isQuestion(dm({ user: undefined }), BOT)).toBe(false);
    // A channel message without a mention, and a mention inside a DM (its
    // `message` event answers it), are not answered twice.
    expect(isQuestion({ ...dm(), channel: 'C1', channel_type: 'channel' }, BOT)).toBe(false);
    expect(isQuestion(mention({ channel: 'D1' }), BOT)).toBe(false);
  });

  it('makes a thread of a top-level mention and continues the thread of a reply', () => {
    expect(placeOf(mention())).toEqual({
      channelId: 'C1',
      threadId: '1700000000.000100',
      conversationKey: 'C1/1700000000.000100',
    });
    expect(placeOf(mention({ ts: '1700000009.000100', thread_ts: '1700000000.000100' }))).toEqual({
      channelId: 'C1',
      threadId: '1700000000.000100',
      conversationKey: 'C1/1700000000.000100',
    });
  });

  it("keeps a DM's top-level messages as one conversation, and its threads apart", () => {
    expect(placeOf(dm())).toEqual({ channelId: 'D1', conversationKey: 'D1' });
    expect(placeOf(dm({ thread_ts: '1690000000.000001' }))).toEqual({
      channelId: 'D1',
      threadId: '1690000000.000001',
      conversationKey: 'D1/1690000000.000001',
    });
  });

  it('builds a chat job the queue accepts, answering in the thread', () => {
    const job = toChatJob(mention(), {
      teamId: 'T1',
      authorName: 'Ann',
      text: 'hi',
      receivedAt: new Date(0),
    });
    expect(chatJobSchema.parse(job)).toEqual(job);
    expect(job).toMatchObject({
      platform: 'slack',
      tenantId: 'T1',
      channelId: 'C1',
      threadId: '1700000000.000100',
      messageId: '1700000000.000100',
      author: { id: 'U1', name: 'Ann' },
    });
    expect(job.replyTo).toBeUndefined();
    // Asked by someone of the workspace itself: no tenant of their own.
    expect(job.author.tenantId).toBeUndefined();
  });

  it("notes the asker's own workspace in a Slack Connect channel, and the queue keeps it", () => {
    const job = toChatJob(mention({ user_team: 'T2', team: 'T2' }), {
      teamId: 'T1',
      authorName: 'Bea',
      text: 'hi',
      receivedAt: new Date(0),
    });
    // Settings and quotas stay the installation's workspace; the stream names the asker's.
    expect(job.tenantId).toBe('T1');
    expect(chatJobSchema.parse(job).author).toEqual({ id: 'U1', name: 'Bea', tenantId: 'T2' });
  });
});

describe('Slack thread replies → follow-up candidates', () => {
  const reply = (extra: object = {}) => ({
    type: 'message',
    channel: 'C1',
    channel_type: 'channel',
    user: 'U2',
    text: 'and in French?',
    ts: '1700000001.000100',
    thread_ts: '1700000000.000100',
    parent_user_id: 'U1',
    ...extra,
  });

  it("takes a person's reply in a thread that calls on nobody, in any kind of channel", () => {
    expect(isFollowUpCandidate(reply(), BOT)).toBe(true);
    expect(isFollowUpCandidate(reply({ channel: 'G1', channel_type: 'group' }), BOT)).toBe(true);
    expect(isFollowUpCandidate(reply({ channel: 'G2', channel_type: 'mpim' }), BOT)).toBe(true);
    expect(isFollowUpCandidate(reply({ subtype: 'file_share' }), BOT)).toBe(true);
    // "Also send to #channel" is still a reply in the thread.
    expect(isFollowUpCandidate(reply({ subtype: 'thread_broadcast' }), BOT)).toBe(true);
    // Links and channel names call on nobody.
    const link = 'see <https://x.io|x.io> in <#C9|general>';
    expect(isFollowUpCandidate(reply({ text: link }), BOT)).toBe(true);
  });

  it('leaves alone what is not a reply, or not for the bot to take without a mention', () => {
    // Top-level messages: every message of a busy channel stops here.
    expect(isFollowUpCandidate(reply({ thread_ts: undefined }), BOT)).toBe(false);
    // A thread's parent carries its own ts as thread_ts.
    expect(isFollowUpCandidate(reply({ thread_ts: '1700000001.000100' }), BOT)).toBe(false);
    // Addressed to someone else, or to everyone.
    expect(isFollowUpCandidate(reply({ text: '<@U1> what do you think?' }), BOT)).toBe(false);
    expect(isFollowUpCandidate(reply({ text: '<!subteam^S1|@devs> ideas?' }), BOT)).toBe(false);
    expect(isFollowUpCandidate(reply({ text: '<!here> lunch' }), BOT)).toBe(false);
    // A mention of the bot is its app_mention's to answer, not this event's.
    expect(isFollowUpCandidate(reply({ text: `<@${BOT}> and now?` }), BOT)).toBe(false);
    // Bots (itself included), edits, deletions and other subtypes.
    expect(isFollowUpCandidate(reply({ bot_id: 'B2' }), BOT)).toBe(false);
    expect(isFollowUpCandidate(reply({ user: BOT }), BOT)).toBe(false);
    expect(isFollowUpCandidate(reply({ user: undefined }), BOT)).toBe(false);
    expect(isFollowUpCandidate(reply({ subtype: 'bot_message' }), BOT)).toBe(false);
    expect(isFollowUpCandidate(reply({ subtype: 'message_changed' }), BOT)).toBe(false);
    expect(isFollowUpCandidate(reply({ subtype: 'message_deleted' }), BOT)).toBe(false);
    // DMs are answered as DMs, app_mention events as mentions.
    expect(isFollowUpCandidate(reply({ channel: 'D1', channel_type: 'im' }), BOT)).toBe(false);
    expect(isFollowUpCandidate(reply({ type: 'app_mention' }), BOT)).toBe(false);
  });

  it('continues the thread it replies in', () => {
    expect(placeOf(reply()).conversationKey).toBe('C1/1700000000.000100');
  });
});

describe('Slack slash commands → command jobs', () => {
  it('maps each command to the core command and its options', () => {
    expect(parseSlashCommand('/imagine', 'a red fox --size 1024x768')).toMatchObject({
      ok: true,
      name: 'imagine',
      options: { prompt: 'a red fox', size: '1024x768' },
    });
    expect(parseSlashCommand('/settings', 'set temperature 0.2')).toMatchObject({
      ok: true,
      name: 'settings.set',
      options: { temperature: '0.2' },
    });
    expect(parseSlashCommand('/settings', '')).toMatchObject({
      ok: true,
      name: 'settings.show',
    });
    expect(parseSlashCommand('/forget', 'whatever')).toMatchObject({
      ok: true,
      name: 'forget',
      options: {},
    });
  });

  it('answers bad input with one line of usage', () => {
    const bad = parseSlashCommand('/imagine', 'a fox --bogus 3');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.message).toContain('--bogus');
      expect(bad.message).not.toContain('\n');
    }
    expect(parseSlashCommand('/nope', '').ok).toBe(false);
  });
});
