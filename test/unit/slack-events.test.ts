import { describe, expect, it } from 'vitest';
import { chatJobSchema } from '../../src/queue/jobs.js';
import { isQuestion, placeOf, toChatJob } from '../../src/platforms/slack/events.js';
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
