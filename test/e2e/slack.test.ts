/**
 * Slack end to end: the built service, configured for Slack alone (no Discord
 * variables), against the fake Slack and the fake Chutes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STALE_SECONDS, type StoredMessage } from '../fakes/slack/index.js';
import { actionIdsOf, feedbackButtonsOf, visibleText } from '../fakes/slack/content.js';
import { messageEventId } from '../../src/platforms/slack/events.js';
import { jobIdFor } from '../../src/queue/jobs.js';
import { METHOD_SCOPES } from '../unit/slack-scopes.js';
import { CHUTES_KEY, SLACK, startStack, type Stack } from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ discord: false, slack: {} });
});
afterAll(async () => {
  const service = stack?.service;
  await stack?.stop();
  if (service) {
    const output = service.output.join('\n');
    for (const secret of [CHUTES_KEY, SLACK.botToken, SLACK.signingSecret])
      expect(output).not.toContain(secret);
    // A slash command's response_url is a credential too.
    expect(output).not.toMatch(/\/commands\/[A-Za-z0-9]/);
  }
});
afterEach(() => {
  // The service stays inside Slack's tiers: not a single 429, ever.
  expect(stack.slack.rateLimited).toEqual([]);
  // Every Web API method it called (bolt's own included) has its scope in the manifest.
  for (const { method } of stack.slack.requests) expect(METHOD_SCOPES).toHaveProperty([method]);
});

type ChatBody = {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
};

const chatRequests = () =>
  stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
const bodyOf = (index: number) => chatRequests()[index]!.body as ChatBody;
/** The answer a slash command got through its response_url (after the acknowledgement). */
const commandAnswer = (id: string, what: string) =>
  stack.slack.waitFor(
    () => stack.slack.commandResponses(id).find((r) => r.via === 'response_url'),
    10_000,
    what,
  );
/** A finished answer's buttons: Regenerate in an actions block, 👍/👎 as Slack's feedback buttons. */
function expectFinishedButtons(blocks: unknown[] | undefined): void {
  expect((blocks ?? []).map((b) => (b as { type: string }).type)).toEqual(
    expect.arrayContaining(['actions', 'context_actions']),
  );
  expect(actionIdsOf(blocks)).toEqual([
    expect.stringMatching(/^cb1:r:/),
    expect.stringMatching(/^cb1:u:/),
  ]);
  expect(feedbackButtonsOf(blocks)).toEqual([
    {
      actionId: expect.stringMatching(/^cb1:u:/),
      positive: expect.stringMatching(/^cb1:u:/),
      negative: expect.stringMatching(/^cb1:d:/),
    },
  ]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The bot's messages in a thread (or at the top of a DM), once their text satisfies `done`. */
async function botReplies(
  channel: string,
  threadTs: string | undefined,
  done: (text: string) => boolean,
  timeoutMs = 15_000,
): Promise<StoredMessage[]> {
  return stack.slack.waitFor(
    () => {
      const mine = stack.slack
        .botMessages(channel, threadTs)
        .filter((m) => !m.deleted && (threadTs ? m.threadTs === threadTs : !m.threadTs));
      const text = mine.map((m) => visibleText(m)).join('');
      return mine.length > 0 && done(text) && mine.every((m) => m.streaming !== 'streaming')
        ? mine
        : undefined;
    },
    timeoutMs,
    `the bot's reply in ${channel}/${threadTs ?? 'top'}`,
  );
}

describe('chat over Slack, end to end', () => {
  it('streams a mention into its thread with Slack streaming and ends with exactly the model text', async () => {
    const chunks = ['CRDTs ', 'are data types ', 'that merge ', 'without ', 'conflicts.'];
    stack.chutes.script({ chunks, chunkDelayMs: 600, firstChunkDelayMs: 500 });
    const channel = SLACK.channel(1);
    const sent = stack.slack.sendMention({
      channel,
      user: SLACK.ann.id,
      text: 'explain <https://crdt.tech|CRDTs> &amp; more',
    });
    const delivery = await sent.delivery;
    expect(delivery.acknowledged).toBe(true);
    expect(delivery.latencyMs).toBeLessThan(3_000);

    const [reply] = await botReplies(channel, sent.ts, (t) => t === chunks.join(''));
    expect(stack.slack.botMessages(channel, sent.ts)).toHaveLength(1);
    expect(reply!.threadTs).toBe(sent.ts);
    // Streamed natively: started, appended as the model wrote, stopped.
    const vias = reply!.history.map((v) => v.via);
    expect(vias[0]).toBe('start');
    expect(vias).toContain('append');
    expect(reply!.streaming).toBe('stopped');
    for (const version of reply!.history)
      expect(chunks.join('').startsWith(version.text)).toBe(true);
    // While the model had not written yet, the thread said so.
    expect(stack.slack.statuses.some((s) => s.threadTs === sent.ts && s.status !== '')).toBe(true);
    // Its buttons (Regenerate, 👍, 👎) came with the stream's end, not in an edit after it:
    // Regenerate a button, the votes Slack's feedback buttons.
    expectFinishedButtons(reply!.finalBlocks);
    expect(reply!.history.some((v) => v.via === 'update')).toBe(false);
    const start = stack.slack.requests.find((r) => r.method === 'chat.startStream');
    expect(start?.params).toMatchObject({
      channel,
      thread_ts: sent.ts,
      recipient_user_id: SLACK.ann.id,
      recipient_team_id: SLACK.team,
    });

    const body = bodyOf(chatRequests().length - 1);
    expect(body.messages.at(-1)).toEqual({
      role: 'user',
      content: 'Ann: explain CRDTs (https://crdt.tech) & more',
    });
  });

  it('answers a retried event once: no second answer, no second Chutes call', async () => {
    const channel = SLACK.channel(2);
    const before = chatRequests().length;
    const sent = stack.slack.sendMention({ channel, user: SLACK.bob.id, text: 'ping once' });
    await sent.delivery;
    await botReplies(channel, sent.ts, (t) => t.includes('ping once'));
    const again = await stack.slack.redeliver(sent.eventId, {
      retryNum: 1,
      reason: 'http_timeout',
    });
    expect(again.acknowledged).toBe(true);
    await sleep(1_000);
    expect(chatRequests().length).toBe(before + 1);
    expect(stack.slack.botMessages(channel, sent.ts)).toHaveLength(1);
  });

  it('acknowledges an event only once its question is queued, so a lost one is redelivered', async () => {
    const channel = SLACK.channel(13);
    // A user the gateway has not looked up yet: nothing but the enqueue comes before the ack.
    const sent = stack.slack.sendMention({ channel, user: SLACK.boss.id, text: 'queued first?' });
    const delivery = await sent.delivery;
    expect(delivery.acknowledged).toBe(true);
    const job = await stack.chatQueue.getJob(
      jobIdFor('slack', 'msg', messageEventId({ channel, ts: sent.ts })),
    );
    expect(job?.data.text).toBe('queued first?');
    await botReplies(channel, sent.ts, (t) => t.includes('queued first?'));
  });

  it('refuses a badly signed or stale request with 401, and neither answers nor calls Chutes', async () => {
    const channel = SLACK.channel(3);
    const before = chatRequests().length;
    const forged = stack.slack.sendMention({
      channel,
      user: SLACK.ann.id,
      text: 'forged',
      signing: { secret: 'not-the-secret' },
    });
    const stale = stack.slack.sendMention({
      channel,
      user: SLACK.ann.id,
      text: 'stale',
      signing: { skewSeconds: -STALE_SECONDS },
    });
    expect((await forged.delivery).status).toBe(401);
    expect((await stale.delivery).status).toBe(401);
    await sleep(800);
    expect(chatRequests().length).toBe(before);
    expect(stack.slack.botMessages(channel)).toEqual([]);
  });

  it("continues a thread's conversation and never mixes two threads", async () => {
    const channel = SLACK.channel(4);
    stack.chutes.script({ chunks: ['Blue.'] });
    const first = stack.slack.sendMention({
      channel,
      user: SLACK.ann.id,
      text: 'my color is blue',
    });
    await botReplies(channel, first.ts, (t) => t === 'Blue.');
    stack.chutes.script({ chunks: ['Forty-two.'] });
    const other = stack.slack.sendMention({ channel, user: SLACK.bob.id, text: 'my number is 42' });
    await botReplies(channel, other.ts, (t) => t === 'Forty-two.');

    const before = chatRequests().length;
    const follow = stack.slack.sendMention({
      channel,
      user: SLACK.bob.id,
      text: 'what was the color?',
      threadTs: first.ts,
    });
    await follow.delivery;
    await botReplies(channel, first.ts, (t) => t.includes('what was the color?'));
    const body = bodyOf(before);
    expect(body.messages.slice(1)).toEqual([
      { role: 'user', content: 'Ann: my color is blue' },
      { role: 'assistant', content: 'Blue.' },
      { role: 'user', content: 'Bob: what was the color?' },
    ]);
    expect(JSON.stringify(body)).not.toContain('42');
  });

  it('answers DMs without a mention, as one running conversation', async () => {
    stack.chutes.script({ chunks: ['Hello Ann.'] });
    stack.slack.sendDm({ channel: SLACK.dm, user: SLACK.ann.id, text: 'hi there' });
    await botReplies(SLACK.dm, undefined, (t) => t === 'Hello Ann.');
    const before = chatRequests().length;
    stack.slack.sendDm({ channel: SLACK.dm, user: SLACK.ann.id, text: 'and again' });
    await botReplies(SLACK.dm, undefined, (t) => t.includes('and again'));
    expect(bodyOf(before).messages.slice(1)).toEqual([
      { role: 'user', content: 'Ann: hi there' },
      { role: 'assistant', content: 'Hello Ann.' },
      { role: 'user', content: 'Ann: and again' },
    ]);
  });

  it('ignores other bots and its own messages', async () => {
    const channel = SLACK.channel(5);
    const before = chatRequests().length;
    const fromBot = stack.slack.sendMessageEvent({
      type: 'app_mention',
      channel,
      bot_id: 'B0OTHER001',
      text: `<@${SLACK.bot}> hello from another bot`,
    });
    await fromBot.delivery;
    await sleep(800);
    expect(chatRequests().length).toBe(before);
  });

  it('continues in the same message by chat.update when Slack closes the stream, ending exact', async () => {
    const channel = SLACK.channel(6);
    stack.slack.options.streamLifetimeMs = 1_200;
    try {
      const chunks = Array.from({ length: 12 }, (_, i) => `part ${i}; `);
      stack.chutes.script({ chunks, chunkDelayMs: 300 });
      const sent = stack.slack.sendMention({ channel, user: SLACK.ann.id, text: 'long one' });
      const [reply] = await botReplies(channel, sent.ts, (t) => t === chunks.join(''));
      expect(stack.slack.botMessages(channel, sent.ts)).toHaveLength(1);
      const vias = reply!.history.map((v) => v.via);
      expect(vias[0]).toBe('start');
      expect(vias).toContain('update');
      expect(visibleText(reply!)).toBe(chunks.join(''));
    } finally {
      stack.slack.options.streamLifetimeMs = 5 * 60_000;
    }
  });

  it('posts and updates where Slack refuses native streaming', async () => {
    const channel = SLACK.channel(7);
    stack.slack.options.streamingEnabled = false;
    try {
      const chunks = ['No ', 'streaming ', 'here, ', 'still ', 'fine.'];
      stack.chutes.script({ chunks, chunkDelayMs: 400 });
      const sent = stack.slack.sendMention({ channel, user: SLACK.ann.id, text: 'try it' });
      const [reply] = await botReplies(channel, sent.ts, (t) => t === chunks.join(''));
      expect(stack.slack.botMessages(channel, sent.ts)).toHaveLength(1);
      expect(reply!.history[0]!.via).toBe('post');
      expect(visibleText(reply!)).toBe(chunks.join(''));
    } finally {
      stack.slack.options.streamingEnabled = true;
    }
  });

  it('continues a long answer in further thread messages, never splitting a code block that fits', async () => {
    const channel = SLACK.channel(12);
    const prose = 'A sentence about distributed systems and their trade-offs. '.repeat(190);
    const code = `\`\`\`ts\n${Array.from({ length: 60 }, (_, i) => `const v${i} = ${i};`).join('\n')}\n\`\`\`\n`;
    const answer = `${prose}\n\n${code}\nThat is all.`;
    expect(answer.length).toBeGreaterThan(12_000);
    stack.chutes.script({ chunks: answer.match(/[\s\S]{1,400}/g)!, chunkDelayMs: 20 });
    const sent = stack.slack.sendMention({ channel, user: SLACK.ann.id, text: 'a long one' });
    const replies = await botReplies(channel, sent.ts, (t) => t.endsWith('That is all.'), 30_000);
    expect(replies.length).toBeGreaterThan(1);
    for (const reply of replies) expect(visibleText(reply).length).toBeLessThanOrEqual(12_000);
    expect(replies.map((r) => visibleText(r)).join('')).toBe(answer);
    // The code block fits in one message, so one message holds all of it.
    expect(replies.some((r) => visibleText(r).includes(code))).toBe(true);
  });

  it('aborts the model call when the user stops the stream, and says so', async () => {
    const channel = SLACK.channel(8);
    const chunks = Array.from({ length: 30 }, (_, i) => `word${i} `);
    stack.chutes.script({ chunks, chunkDelayMs: 200 });
    const sent = stack.slack.sendMention({ channel, user: SLACK.ann.id, text: 'go on forever' });
    const streaming = await stack.slack.waitFor(
      () => stack.slack.botMessages(channel, sent.ts).find((m) => m.streaming === 'streaming'),
      10_000,
      'a streaming reply',
    );
    await sleep(400);
    stack.slack.stopStreamByUser(channel, streaming.ts);
    const [reply] = await botReplies(channel, sent.ts, (t) => t.includes('Stopped'));
    expect(visibleText(reply!)).toMatch(/^word0 [\s\S]*_\(Stopped\.\)_$/);
    expect(visibleText(reply!)).not.toContain('word29');
    // The edit that says so carries the finished answer's buttons.
    expectFinishedButtons(reply!.blocks);
    const request = chatRequests().at(-1)!;
    await stack.slack.waitFor(() => request.disconnectedAt, 5_000, 'the Chutes stream to end');
  });
});

describe('follow-ups in a Slack thread, end to end', () => {
  /** Chutes requests so far, and a check that none came after. */
  const noNewQuestion = async (before: number, channel: string, threadTs: string, mine: number) => {
    await sleep(1_500);
    expect(chatRequests().length).toBe(before);
    expect(stack.slack.botMessages(channel, threadTs)).toHaveLength(mine);
  };

  it("answers a reply without a mention in a thread it answered in, with the thread's history", async () => {
    const channel = SLACK.channel(15);
    stack.chutes.script({ chunks: ['Blue.'] });
    const first = stack.slack.sendMention({
      channel,
      user: SLACK.ann.id,
      text: 'my color is blue',
    });
    await botReplies(channel, first.ts, (t) => t === 'Blue.');

    const before = chatRequests().length;
    const follow = stack.slack.sendMessage({
      channel,
      user: SLACK.bob.id,
      text: 'and what was the color?',
      threadTs: first.ts,
    });
    // A plain reply: Slack sends it only as a message event (message.channels), no app_mention.
    expect(follow.mention).toBeUndefined();
    const delivery = await follow.message!.delivery;
    expect(delivery.acknowledged).toBe(true);
    expect(delivery.latencyMs).toBeLessThan(3_000);
    const replies = await botReplies(channel, first.ts, (t) =>
      t.includes('You said: Bob: and what was the color?'),
    );
    expect(replies).toHaveLength(2);
    expect(replies[1]!.threadTs).toBe(first.ts);
    expect(chatRequests().length).toBe(before + 1);
    expect(bodyOf(before).messages.slice(1)).toEqual([
      { role: 'user', content: 'Ann: my color is blue' },
      { role: 'assistant', content: 'Blue.' },
      { role: 'user', content: 'Bob: and what was the color?' },
    ]);
    const job = await stack.chatQueue.getJob(
      jobIdFor('slack', 'msg', messageEventId({ channel, ts: follow.ts })),
    );
    expect(job?.data).toMatchObject({
      threadId: first.ts,
      conversationKey: `${channel}/${first.ts}`,
    });

    // Edited, the follow-up asks nothing again (message_changed; the job is its channel + ts).
    const edits = stack.slack.editMessage({
      channel,
      ts: follow.ts,
      text: 'and what was the colour?',
    });
    expect(edits).toHaveLength(1);
    expect((await edits[0]!.delivery).acknowledged).toBe(true);
    await noNewQuestion(before + 1, channel, first.ts, 2);
  });

  it('leaves alone replies to someone else, bots, its own messages and a mention it already answers', async () => {
    const channel = SLACK.channel(16);
    const first = stack.slack.sendMention({ channel, user: SLACK.ann.id, text: 'hello' });
    await botReplies(channel, first.ts, (t) => t.includes('hello'));
    const before = chatRequests().length;
    const inThread = { channel, thread_ts: first.ts };
    const sent = [
      // For Ann, not for the bot.
      stack.slack.sendMessage({
        channel,
        user: SLACK.bob.id,
        text: `<@${SLACK.ann.id}> did you see this?`,
        threadTs: first.ts,
      }).message!,
      stack.slack.sendMessage({
        channel,
        user: SLACK.bob.id,
        text: '<!here> anyone?',
        threadTs: first.ts,
      }).message!,
      // Another app, with and without the bot_message subtype.
      stack.slack.sendMessageEvent({
        ...inThread,
        bot_id: 'B0OTHER001',
        subtype: 'bot_message',
        text: 'beep',
      }),
      stack.slack.sendMessageEvent({
        ...inThread,
        user: 'U0OTHERBOT',
        bot_id: 'B0OTHER001',
        text: 'boop',
      }),
      // The bot's own echo.
      stack.slack.sendMessageEvent({
        ...inThread,
        user: SLACK.bot,
        bot_id: 'B0BOT00001',
        text: 'me',
      }),
    ];
    for (const event of sent) expect((await event.delivery).acknowledged).toBe(true);
    // Its answer and the echo above.
    await noNewQuestion(before, channel, first.ts, 2);

    // A mention in the thread arrives twice (app_mention and message): one question.
    const mention = stack.slack.sendMessage({
      channel,
      user: SLACK.bob.id,
      text: `<@${SLACK.bot}> once please`,
      threadTs: first.ts,
    });
    expect(mention.mention).toBeDefined();
    expect(mention.message).toBeDefined();
    await Promise.all([mention.mention!.delivery, mention.message!.delivery]);
    await botReplies(channel, first.ts, (t) => t.includes('once please'));
    await sleep(1_000);
    expect(chatRequests().length).toBe(before + 1);
    expect(stack.slack.botMessages(channel, first.ts)).toHaveLength(3);
  });

  it('leaves alone a thread it never answered in, and top-level messages', async () => {
    const channel = SLACK.channel(15);
    const before = chatRequests().length;
    const top = stack.slack.sendMessage({ channel, user: SLACK.ann.id, text: 'lunch at noon?' });
    expect((await top.message!.delivery).acknowledged).toBe(true);
    const reply = stack.slack.sendMessage({
      channel,
      user: SLACK.bob.id,
      text: 'sure, where?',
      threadTs: top.ts,
    });
    expect((await reply.message!.delivery).acknowledged).toBe(true);
    await noNewQuestion(before, channel, top.ts, 0);
  });

  it.each([
    ['a private channel', SLACK.privateChannel],
    ['a group DM', SLACK.groupDm],
  ])('answers follow-ups in %s too', async (_, channel) => {
    const first = stack.slack.sendMention({ channel, user: SLACK.ann.id, text: 'first here' });
    await botReplies(channel, first.ts, (t) => t.includes('first here'));
    const follow = stack.slack.sendMessage({
      channel,
      user: SLACK.bob.id,
      text: 'second here',
      threadTs: first.ts,
    });
    expect((await follow.message!.delivery).acknowledged).toBe(true);
    await botReplies(channel, first.ts, (t) => t.includes('Bob: second here'));
  });
});

describe('slash commands over Slack, end to end', () => {
  it('/imagine acknowledges at once and uploads the exact image into the channel', async () => {
    const channel = SLACK.channel(9);
    stack.chutes.scriptImage({ mode: 'bytes-png', delayMs: 4_000 });
    const command = stack.slack.runCommand({
      command: '/imagine',
      text: 'a red fox in snow --size 1024x768 --seed 7',
      user: SLACK.ann.id,
      channel,
    });
    const ack = await command.ack;
    expect(ack.acknowledged).toBe(true);
    expect(ack.latencyMs).toBeLessThan(3_000);
    expect(stack.slack.commandResponses(command.id)[0]!.text).toMatch(/Generating/);

    const file = await stack.slack.waitFor(
      () => stack.slack.files.find((f) => f.channel === channel && f.completedAt),
      15_000,
      'the uploaded image',
    );
    expect(Buffer.compare(file.bytes!, stack.chutes.lastImageBytes!)).toBe(0);
    expect(file.initialComment).toContain('a red fox in snow');
    expect(file.initialComment).toContain('image-model');
    expect(file.initialComment).toContain('1024×768');
    const generate = stack.chutes.requests.filter((r) => r.path === '/generate').at(-1)!;
    expect(generate.body).toMatchObject({
      prompt: 'a red fox in snow',
      width: 1024,
      height: 768,
      seed: 7,
    });
  });

  it('/imagine with a bad flag answers with one line of usage and generates nothing', async () => {
    const before = stack.chutes.requests.filter((r) => r.path === '/generate').length;
    const command = stack.slack.runCommand({
      command: '/imagine',
      text: 'a cat --colour blue',
      user: SLACK.ann.id,
      channel: SLACK.channel(9),
    });
    const ack = await command.ack;
    expect(ack.acknowledged).toBe(true);
    const [answer] = stack.slack.commandResponses(command.id);
    expect(answer!.text).toMatch(/Usage/);
    expect(answer!.responseType).toBe('ephemeral');
    await sleep(500);
    expect(stack.chutes.requests.filter((r) => r.path === '/generate').length).toBe(before);
  });

  it('/help lists what this person may run, in Slack syntax; admins see theirs', async () => {
    const help = async (user: string) => {
      const sent = stack.slack.runCommand({
        command: '/help',
        text: '',
        user,
        channel: SLACK.channel(14),
      });
      expect((await sent.ack).acknowledged).toBe(true);
      return commandAnswer(sent.id, 'the /help answer');
    };
    const member = await help(SLACK.ann.id);
    expect(member.responseType).toBe('ephemeral');
    expect(member.text).toContain('Commands you can use here');
    expect(member.text).toContain('--size 1024x768');
    expect(member.text).toContain('/settings show');
    expect(member.text).not.toContain('/settings set');
    expect(member.text).not.toContain('/usage');
    const admin = await help(SLACK.boss.id);
    expect(admin.text).toContain('/settings set');
    expect(admin.text).toContain('(admins)');
    expect(admin.text).toContain('/usage');
  });

  it('/settings set is for workspace admins, and reaches the next Chutes request', async () => {
    const channel = SLACK.channel(10);
    const refused = stack.slack.runCommand({
      command: '/settings',
      text: 'set temperature 0.2',
      user: SLACK.bob.id,
      channel,
    });
    await refused.ack;
    const refusal = await commandAnswer(refused.id, 'the refusal');
    expect(refusal.text).toMatch(/Only workspace admins and owners/);
    expect(refusal.responseType).toBe('ephemeral');

    const allowed = stack.slack.runCommand({
      command: '/settings',
      text: 'set temperature 0.2',
      user: SLACK.boss.id,
      channel,
    });
    await allowed.ack;
    const answer = await commandAnswer(allowed.id, 'the settings answer');
    expect(answer.text).toMatch(/Settings updated/);
    expect(answer.text).toMatch(/temperature/);

    const before = chatRequests().length;
    const sent = stack.slack.sendMention({ channel, user: SLACK.ann.id, text: 'warm or cold?' });
    await botReplies(channel, sent.ts, (t) => t.includes('warm or cold?'));
    expect(bodyOf(before).temperature).toBe(0.2);

    // Back to the defaults for the tests that follow.
    const reset = stack.slack.runCommand({
      command: '/settings',
      text: 'reset',
      user: SLACK.boss.id,
      channel,
    });
    await commandAnswer(reset.id, 'the reset answer');
  });

  it('/settings set follows a refused model with models to pick, their prices and image input', async () => {
    const settings = async (text: string) => {
      const sent = stack.slack.runCommand({
        command: '/settings',
        text,
        user: SLACK.boss.id,
        channel: SLACK.channel(10),
      });
      return (await commandAnswer(sent.id, `the answer to ${text}`)).text;
    };
    const refused = await settings('set fallback_models model-b, gpt-4');
    expect(refused).toContain('Nothing was changed');
    expect(refused).toContain('gpt-4');
    expect(refused).toContain('model-a` ($0.2/$0.8 per M tokens · text only)');
    // Typed as Slack text, the list may hold spaces: the value is the rest of the text.
    expect(await settings('set fallback_models model-b,  MODEL-A')).toMatch(
      /fallback_models.*model-b, model-a/,
    );
    await settings('reset');
  });

  it('/forget clears every thread of the channel, so the next question comes alone', async () => {
    const channel = SLACK.channel(11);
    const first = stack.slack.sendMention({ channel, user: SLACK.ann.id, text: 'remember apples' });
    await botReplies(channel, first.ts, (t) => t.includes('remember apples'));
    const forget = stack.slack.runCommand({
      command: '/forget',
      text: '',
      user: SLACK.ann.id,
      channel,
    });
    const answer = await commandAnswer(forget.id, 'the /forget answer');
    expect(answer.text).toMatch(/Forgot/);
    const before = chatRequests().length;
    const again = stack.slack.sendMention({
      channel,
      user: SLACK.ann.id,
      text: 'what did I ask you to remember?',
      threadTs: first.ts,
    });
    await botReplies(channel, first.ts, (t) => t.includes('what did I ask'));
    expect(bodyOf(before).messages).toHaveLength(2);
    expect(JSON.stringify(bodyOf(before))).not.toContain('apples');
    await again.delivery;
  });

  it('reports health on GET /healthz with only Slack configured', async () => {
    const response = await fetch(`http://127.0.0.1:${stack.service.port}/healthz`);
    expect(response.status).toBe(200);
  });
});
