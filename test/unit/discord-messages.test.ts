import { describe, expect, it } from 'vitest';
import {
  cleanText,
  inNewThread,
  mayOpenThread,
  toChatJob,
  type IncomingDiscordMessage,
} from '../../src/platforms/discord/messages.js';
import { chatJobSchema, jobIdFor } from '../../src/queue/jobs.js';

const BOT = '900000000000000001';
const base: IncomingDiscordMessage = {
  id: '1200000000000000000',
  channelId: '300',
  guildId: '100',
  sharedChannel: true,
  content: `<@${BOT}> what is a monad?`,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  author: { id: '42', name: 'Ann', bot: false },
  mentionedUsers: new Map([[BOT, 'bot']]),
  botRoleIds: [],
};

describe('toChatJob', () => {
  it('turns a mention into a valid job for that channel and guild', () => {
    const job = toChatJob(base, BOT);
    expect(job).toMatchObject({
      platform: 'discord',
      tenantId: '100',
      conversationKey: '300',
      messageId: base.id,
      text: 'what is a monad?',
      author: { id: '42', name: 'Ann' },
      shared: true,
    });
    expect(chatJobSchema.safeParse(job).success).toBe(true);
  });

  it('keeps strict order in a thread and in a DM, where everyone waits their turn', () => {
    expect(toChatJob({ ...base, sharedChannel: false }, BOT)?.shared).toBeUndefined();
    const dm = toChatJob({ ...base, guildId: null, sharedChannel: true }, BOT);
    expect(dm?.shared).toBeUndefined();
  });

  it('ignores messages without a mention, and bots', () => {
    expect(toChatJob({ ...base, mentionedUsers: new Map() }, BOT)).toBeUndefined();
    expect(toChatJob({ ...base, author: { ...base.author, bot: true } }, BOT)).toBeUndefined();
  });

  it('answers every DM, with a per-user tenant', () => {
    const job = toChatJob(
      { ...base, guildId: null, content: 'hi', mentionedUsers: new Map() },
      BOT,
    );
    expect(job?.tenantId).toBe('dm:42');
  });

  it("accepts the bot's managed role as a mention", () => {
    const job = toChatJob(
      { ...base, content: '<@&555> hello', mentionedUsers: new Map(), botRoleIds: ['555'] },
      BOT,
    );
    expect(job?.text).toBe('hello');
  });

  it('shows other mentions as names and drops the bot mention anywhere', () => {
    const mentioned = new Map([
      [BOT, 'bot'],
      ['7', 'Carol'],
    ]);
    expect(cleanText(`ask <@!7> about it <@${BOT}>`, [BOT], mentioned)).toBe('ask @Carol about it');
    expect(cleanText('<@8> unknown', [BOT], mentioned)).toBe('<@8> unknown');
  });
});

describe('replies and threads', () => {
  const quiet = { ...base, content: 'and then?', mentionedUsers: new Map<string, string>() };
  const on = { messageContent: true };
  const off = { messageContent: false };

  it('takes a reply to its answer without the ping only with Message Content', () => {
    const reply = { ...quiet, repliesToBot: true };
    expect(toChatJob(reply, BOT, on)).toMatchObject({ conversationKey: '300', replyTo: base.id });
    expect(toChatJob(reply, BOT, off)).toBeUndefined();
    // With the ping the bot is mentioned: Discord delivers its text either way.
    const pinged = { ...reply, mentionedUsers: new Map([[BOT, 'bot']]) };
    expect(toChatJob(pinged, BOT, off)?.text).toBe('and then?');
  });

  it('takes every message in a thread it opened (with Message Content), none in other threads', () => {
    expect(toChatJob({ ...quiet, place: 'bot-thread' }, BOT, on)).toBeDefined();
    expect(toChatJob({ ...quiet, place: 'bot-thread' }, BOT, off)).toBeUndefined();
    expect(toChatJob({ ...quiet, place: 'thread' }, BOT, on)).toBeUndefined();
    expect(toChatJob({ ...quiet, place: 'threadable' }, BOT, on)).toBeUndefined();
  });

  it('opens a thread only for a mention with text in a text channel that is not a reply', () => {
    const mention = { ...base, place: 'threadable' as const };
    const job = toChatJob(mention, BOT)!;
    expect(mayOpenThread(mention, job)).toBe(true);
    expect(mayOpenThread({ ...mention, repliesToBot: true }, job)).toBe(false);
    expect(mayOpenThread({ ...mention, place: 'thread' }, job)).toBe(false);
    expect(mayOpenThread({ ...mention, place: 'channel' }, job)).toBe(false);
    expect(mayOpenThread(mention, { ...job, text: '' })).toBe(false);
  });

  it("keys a new thread's job by the question's id and names it without mention tokens", () => {
    const job = toChatJob({ ...base, content: `<@${BOT}> ask <@7> in <#9>\nplease` }, BOT)!;
    const threaded = inNewThread(job, `<@${BOT}> ask <@7> in <#9>\nplease`);
    expect(threaded).toMatchObject({
      conversationKey: base.id,
      channelId: '300',
      newThread: { name: 'ask in please' },
    });
    expect(chatJobSchema.safeParse(threaded).success).toBe(true);
    const long = inNewThread(job, 'x'.repeat(500));
    expect(long.newThread!.name).toHaveLength(100);
    expect(chatJobSchema.safeParse(long).success).toBe(true);
  });
});

describe('jobIdFor', () => {
  it('gives ids BullMQ accepts: never an integer, never a colon', () => {
    const id = jobIdFor('slack', 'msg', 'Ev123:456');
    expect(id).toBe('slack-msg-Ev123_456');
    expect(String(parseInt(jobIdFor('discord', 'msg', '1234'), 10))).not.toBe(
      jobIdFor('discord', 'msg', '1234'),
    );
  });
});
