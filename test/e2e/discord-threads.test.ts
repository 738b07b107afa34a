/**
 * Discord conversations as people hold them: a reply to one of the bot's
 * answers is a question in that conversation (with the ping, and without it
 * when the bot has the Message Content intent); with `reply_in_thread` a
 * mention opens a thread named after the question, where every message is a
 * question. Other threads and channel chatter are left alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../fakes/discord/types.js';
import {
  ANN,
  BOB,
  BOT,
  channel,
  GUILD,
  interactionAnswer,
  PERMISSIONS,
  startStack,
  THREAD,
  type Stack,
} from './stack.js';

type ChatBody = { messages: { role: string; content: string }[] };

const SUBCOMMAND = 1;
const BOOLEAN = 5;

function chatBodies(stack: Stack): ChatBody[] {
  return stack.chutes.requests
    .filter((r) => r.path.endsWith('/chat/completions'))
    .map((r) => r.body as ChatBody);
}

/** Waits until the bot's messages in a channel show `text`; returns them. */
function answered(stack: Stack, channelId: string, text: string, timeoutMs = 15_000) {
  return stack.discord.waitFor(
    () => {
      const mine = stack.botMessages(channelId);
      return mine.some((m) => m.content.includes(text)) ? mine : undefined;
    },
    timeoutMs,
    `the bot answering "${text}" in ${channelId}`,
  );
}

/** Sets the test server's reply_in_thread as an admin, and waits for the answer. */
async function replyInThread(stack: Stack, on: boolean): Promise<void> {
  const sent = stack.discord.sendInteraction({
    name: 'settings',
    options: [
      {
        name: 'set',
        type: SUBCOMMAND,
        options: [{ name: 'reply_in_thread', type: BOOLEAN, value: on }],
      },
    ],
    guildId: GUILD,
    channelId: channel(1),
    user: ANN,
    permissions: PERMISSIONS.admin,
  });
  const state = await interactionAnswer(stack, sent.id);
  expect(state.original!.content).toContain('Settings updated');
}

/**
 * Sends messages the bot must leave alone, then a mention in `control`:
 * once that is answered, everything sent before it was seen and dropped.
 */
async function leftAlone(stack: Stack, control: string, send: () => void): Promise<void> {
  const before = chatBodies(stack).length;
  send();
  stack.discord.sendMessage({
    channelId: control,
    author: ANN,
    content: 'control question',
    mentionsBot: true,
  });
  await answered(stack, control, 'control question');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(
    chatBodies(stack)
      .slice(before)
      .map((b) => b.messages.at(-1)?.content),
  ).toEqual(['Ann: control question']);
}

describe('Discord replies and threads, with the Message Content intent', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });
  afterEach(() => {
    expect(stack.discord.rateLimited).toEqual([]);
  });

  it('answers a reply to its answer, with the ping and without it, in the channel conversation', async () => {
    stack.discord.sendMessage({
      channelId: channel(6),
      author: ANN,
      content: 'remember 7',
      mentionsBot: true,
    });
    const [answer] = await answered(stack, channel(6), 'remember 7');

    const pinged = stack.discord.sendMessage({
      channelId: channel(6),
      author: BOB,
      content: 'and doubled?',
      replyTo: answer!.id,
    });
    expect(pinged.mentions.map((u) => u.id)).toContain(BOT.id);
    const afterPing = await answered(stack, channel(6), 'and doubled?');
    expect(afterPing.at(-1)!.messageReference?.messageId).toBe(pinged.id);
    expect(chatBodies(stack).at(-1)!.messages.slice(1)).toEqual([
      { role: 'user', content: 'Ann: remember 7' },
      { role: 'assistant', content: 'You said: Ann: remember 7' },
      { role: 'user', content: 'Bob: and doubled?' },
    ]);

    const quiet = stack.discord.sendMessage({
      channelId: channel(6),
      author: ANN,
      content: 'and tripled?',
      replyTo: afterPing.at(-1)!.id,
      replyPing: false,
    });
    expect(quiet.mentions).toEqual([]);
    const afterQuiet = await answered(stack, channel(6), 'and tripled?');
    expect(afterQuiet.at(-1)!.messageReference?.messageId).toBe(quiet.id);
    expect(
      chatBodies(stack)
        .at(-1)!
        .messages.map((m) => m.content),
    ).toContain('Bob: and doubled?');
  });

  it('leaves alone channel chatter, replies to people, and threads it did not start', async () => {
    const someone = stack.discord.sendMessage({
      channelId: channel(8),
      author: BOB,
      content: 'a message from Bob',
    });
    await leftAlone(stack, channel(8), () => {
      stack.discord.sendMessage({ channelId: channel(8), author: ANN, content: 'just chatting' });
      stack.discord.sendMessage({
        channelId: channel(8),
        author: ANN,
        content: 'replying to Bob',
        replyTo: someone.id,
      });
      stack.discord.sendMessage({ channelId: THREAD, author: ANN, content: 'talk in a thread' });
    });
    expect(stack.botMessages(THREAD)).toEqual([]);
  });

  it('with reply_in_thread, answers a mention in a new thread named after it, and every message there', async () => {
    await replyInThread(stack, true);
    const long = `${'why is the sky blue '.repeat(6)}ask <@${BOB.id}> too`;
    stack.chutes.script({ chunks: ['Light ', 'scatters, ', 'slowly.'], chunkDelayMs: 700 });
    const question = stack.discord.sendMessage({
      channelId: channel(7),
      author: ANN,
      content: long,
      mentions: [BOB],
      mentionsBot: true,
    });
    // Discord gives a thread started from a message the message's own id.
    const thread = question.id;
    const starter = await stack.discord.waitFor(
      () => stack.discord.requests.find((r) => r.path.endsWith(`/messages/${thread}/threads`)),
      10_000,
      'the thread started from the question',
    );
    const name = (starter.body as { name: string }).name;
    expect([...name].length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/^why is the sky blue why is the sky blue .*…$/);
    expect(name).not.toMatch(/<@|chutes-bot/);

    // Asked in the thread without a mention while the first answer still streams: it waits for it.
    await stack.discord.waitFor(() => stack.botMessages(thread)[0], 5_000, 'the placeholder');
    const followUp = stack.discord.sendMessage({
      channelId: thread,
      author: BOB,
      content: 'and at sunset?',
    });
    const replies = await answered(stack, thread, 'and at sunset?', 20_000);
    expect(replies[0]!.content).toBe('Light scatters, slowly.');
    expect(replies[0]!.messageReference).toBeUndefined();
    expect(replies.at(-1)!.messageReference?.messageId).toBe(followUp.id);
    // The answer went in the thread, not the channel.
    expect(stack.botMessages(channel(7))).toEqual([]);
    // The thread's first exchange is the question that opened it.
    expect(chatBodies(stack).at(-1)!.messages.slice(1)).toEqual([
      { role: 'user', content: `Ann: ${long.replace(`<@${BOB.id}>`, '@Bob')}` },
      { role: 'assistant', content: 'Light scatters, slowly.' },
      { role: 'user', content: 'Bob: and at sunset?' },
    ]);
    expect(
      stack.discord.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/threads')),
    ).toHaveLength(1);
  });

  it('with reply_in_thread, still answers in place in threads and replies to its answers', async () => {
    const before = stack.discord.requests.filter((r) => r.path.endsWith('/threads')).length;
    stack.discord.sendMessage({
      channelId: THREAD,
      author: ANN,
      content: 'in a thread already',
      mentionsBot: true,
    });
    const [inThread] = await answered(stack, THREAD, 'in a thread already');
    expect(inThread!.channelId).toBe(THREAD);
    const earlier: StoredMessage = stack.botMessages(channel(6))[0]!;
    stack.discord.sendMessage({
      channelId: channel(6),
      author: ANN,
      content: 'back to the channel',
      replyTo: earlier.id,
    });
    await answered(stack, channel(6), 'back to the channel');
    expect(stack.discord.requests.filter((r) => r.path.endsWith('/threads')).length).toBe(before);
    await replyInThread(stack, false);
  });
});

describe('Discord replies and threads, without the Message Content intent', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      discord: { privilegedIntents: { messageContent: false } },
      env: { DISCORD_MESSAGE_CONTENT: 'false' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers a reply with the ping, and leaves one without it alone (Discord hides its text)', async () => {
    stack.discord.sendMessage({
      channelId: channel(6),
      author: ANN,
      content: 'remember 9',
      mentionsBot: true,
    });
    const [answer] = await answered(stack, channel(6), 'remember 9');
    await leftAlone(stack, channel(9), () => {
      stack.discord.sendMessage({
        channelId: channel(6),
        author: ANN,
        content: 'a quiet reply',
        replyTo: answer!.id,
        replyPing: false,
      });
    });
    stack.discord.sendMessage({
      channelId: channel(6),
      author: ANN,
      content: 'a pinged reply',
      replyTo: answer!.id,
    });
    await answered(stack, channel(6), 'a pinged reply');
    expect(
      chatBodies(stack)
        .at(-1)!
        .messages.map((m) => m.content),
    ).not.toContain('Ann: a quiet reply');
  });

  it('in a thread it opened, answers mentions only', async () => {
    await replyInThread(stack, true);
    const question = stack.discord.sendMessage({
      channelId: channel(7),
      author: ANN,
      content: 'open a thread',
      mentionsBot: true,
    });
    await answered(stack, question.id, 'open a thread');
    await leftAlone(stack, channel(9), () => {
      stack.discord.sendMessage({ channelId: question.id, author: BOB, content: 'no mention' });
    });
    stack.discord.sendMessage({
      channelId: question.id,
      author: BOB,
      content: 'with a mention',
      mentionsBot: true,
    });
    const replies = await answered(stack, question.id, 'with a mention');
    expect(replies.map((m) => m.content).join('\n')).not.toContain('no mention');
  });
});
