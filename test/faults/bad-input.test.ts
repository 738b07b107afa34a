/**
 * Bad input, each with a clear answer or a logged refusal, and the process
 * up: an empty mention, control and invisible characters, a 100 KB message,
 * a flood from one person and from one channel, a channel the bot cannot
 * write to, the placeholder deleted mid-stream, malformed and oversized
 * Slack payloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { MAX_QUESTION_CHARS } from '../../src/core/conversation.js';
import { EMPTY_PROMPT } from '../../src/core/user-messages.js';
import { jobIdFor, QUEUES } from '../../src/queue/jobs.js';
import { SLACK_EVENTS_PATH } from '../../src/platforms/slack/gateway.js';
import { signatureHeaders } from '../fakes/slack/signing.js';
import type { FakeUser } from '../fakes/discord/index.js';
import {
  ANN,
  BOB,
  channel,
  GUILD,
  SLACK,
  startStack,
  testGuild,
  type Stack,
} from '../e2e/stack.js';

/** View and read history only: no Send Messages. */
const READ_ONLY = String(0x400 | 0x10000);
const MUTED = channel(12);
/** A Slack member of the flood test's own: the limit counts per person. */
const FLO = { id: 'U0FLO00001', name: 'flo', displayName: 'Flo' };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    slack: { users: [SLACK.ann, SLACK.bob, SLACK.boss, FLO] },
    discord: {
      guilds: [testGuild({ [MUTED]: READ_ONLY })],
      // Short-lived interaction tokens (Discord's live 15 minutes), to see one expire.
      interactionTokenTtlMs: 4_000,
    },
    env: { FLOOD_USER_PER_MINUTE: '3', FLOOD_CHANNEL_PER_MINUTE: '5' },
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const chatRequests = () =>
  stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
const lastUserContent = () => {
  const body = chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] };
  return body.messages.filter((m) => m.role === 'user').at(-1)!.content;
};
/** A member of its own for each test: the flood limit counts per person. */
let members = 0;
function member(): FakeUser {
  members++;
  const id = `2000000000000001${String(members).padStart(2, '0')}`;
  return { id, username: `member${members}`, globalName: `Member${members}` };
}
const ask = (channelId: string, content: string, author: FakeUser = member()) =>
  stack.discord.sendMessage({ channelId, author, content, mentionsBot: true });
const finalReply = (channelId: string, index: number, done: (text: string) => boolean) =>
  stack.discord.waitFor(
    () => {
      const reply = stack.botMessages(channelId)[index];
      return reply && done(reply.content) ? reply : undefined;
    },
    20_000,
    `reply ${index} in ${channelId}`,
  );

describe('bad input', () => {
  it('answers an empty mention with how to ask, and calls no model', async () => {
    const before = chatRequests().length;
    ask(channel(1), '   \u200B ');
    await finalReply(channel(1), 0, (t) => t === EMPTY_PROMPT);
    expect(chatRequests()).toHaveLength(before);
  });

  it('takes control and invisible characters out of the question', async () => {
    ask(channel(2), 'he\u0000llo\u200B the\u0007re', ANN);
    await finalReply(channel(2), 0, (t) => t.startsWith('You said'));
    expect(lastUserContent()).toBe('Ann: hello there');
  });

  it('answers a 100 KB Slack message cut to the longest question kept, saying so', async () => {
    const sent = stack.slack.sendMention({
      channel: SLACK.channel(1),
      user: SLACK.ann.id,
      text: 'long words '.repeat(9_100),
    });
    expect((await sent.delivery).acknowledged).toBe(true);
    await stack.slack.waitFor(
      () => stack.slack.botMessages(SLACK.channel(1), sent.ts).length > 0 || undefined,
      20_000,
      'an answer to the long message',
    );
    const content = lastUserContent();
    // 40,000 characters, some 7,300 tokens: whole beyond HISTORY_TOKEN_BUDGET (6,000 tokens of
    // history), within the default context.
    // The author's name goes before it.
    expect(content.length).toBeLessThanOrEqual(MAX_QUESTION_CHARS + 20);
    expect(content.length).toBeGreaterThan(MAX_QUESTION_CHARS - 100);
    expect(content).toMatch(/too long\]$/);
  });

  it('asks one person who floods to slow down, and then one channel, without calling the model', async () => {
    const before = chatRequests().length;
    const flooder = member();
    for (const n of [1, 2, 3, 4]) ask(channel(3), `ann ${n}`, flooder);
    const refused = await stack.discord.waitFor(
      () => stack.botMessages(channel(3)).find((m) => m.content.startsWith('🐢 You are asking')),
      20_000,
      'the person asked to slow down',
    );
    expect(refused.content).toMatch(/please wait about \d+ s/);
    // Bob may still ask, up to the channel's five a minute.
    for (const n of [1, 2, 3]) ask(channel(3), `bob ${n}`, BOB);
    await stack.discord.waitFor(
      () => stack.botMessages(channel(3)).find((m) => m.content.startsWith('🐢 This channel')),
      20_000,
      'the channel asked to slow down',
    );
    await stack.discord.waitFor(
      () =>
        stack.botMessages(channel(3)).filter((m) => m.content.startsWith('You said')).length ===
          5 || undefined,
      20_000,
      'five answers',
    );
    expect(chatRequests().length - before).toBe(5);
    expect(
      stack.service.logs.filter((l) => l.msg === 'question refused: flood limit'),
    ).toHaveLength(2);
    const metrics = await (await fetch(`http://127.0.0.1:${stack.service.port}/metrics`)).text();
    expect(metrics).toContain('chutes_bot_answers_total{platform="discord",outcome="refused"} 2');
  });

  it('counts a Slack event delivered four times (three retries) once, and refuses none of them', async () => {
    const slackChannel = SLACK.channel(4);
    const before = chatRequests().length;
    const botTexts = () => stack.slack.botMessages(slackChannel).map((m) => m.markdown ?? m.text);
    const answered = (ts: string) =>
      stack.slack.waitFor(
        () =>
          stack.slack
            .botMessages(slackChannel, ts)
            .some((m) => (m.markdown ?? m.text).startsWith('You said')) || undefined,
        20_000,
        `the answer in thread ${ts}`,
      );
    const ask = (text: string) =>
      stack.slack.sendMention({ channel: slackChannel, user: FLO.id, text });
    const sent = ask('one question, delivered again and again');
    expect((await sent.delivery).acknowledged).toBe(true);
    // Slack's retries: the same envelope and event id, with X-Slack-Retry-Num 1 to 3.
    for (const retryNum of [1, 2, 3])
      expect((await stack.slack.redeliver(sent.eventId, { retryNum })).acknowledged).toBe(true);
    await answered(sent.ts);
    // FLOOD_USER_PER_MINUTE is 3: the four deliveries cost one point, so two more questions go through.
    for (const text of ['a second question', 'a third question']) {
      const next = ask(text);
      expect((await next.delivery).acknowledged).toBe(true);
      await answered(next.ts);
    }
    expect(botTexts().filter((t) => t.startsWith('🐢'))).toEqual([]);
    expect(stack.slack.botMessages(slackChannel, sent.ts)).toHaveLength(1);
    expect(chatRequests().length - before).toBe(3);
    // The limit itself still holds: a fourth question is refused.
    const fourth = ask('a fourth question');
    await fourth.delivery;
    await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(slackChannel, fourth.ts)
          .find((m) => (m.markdown ?? m.text).startsWith('🐢 You are asking')),
      20_000,
      'the fourth question refused',
    );
    expect(chatRequests().length - before).toBe(3);
  });

  it('gives up on a channel it cannot write to, keeping the job and its reason', async () => {
    ask(MUTED, 'can you hear me');
    const failed = await stack.discord.waitFor(
      async () => (await stack.chatQueue.getFailed()).find((j) => j.data.channelId === MUTED),
      20_000,
      'the failed job',
    );
    expect(failed.failedReason).toMatch(/forbidden/i);
    expect(stack.botMessages(MUTED)).toEqual([]);
    expect(stack.service.running).toBe(true);
  });

  it('stops the model call when the reply is deleted mid-stream, and posts nothing new', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => `part${i} `);
    stack.chutes.script({ chunks, chunkDelayMs: 300 });
    ask(channel(4), 'count slowly');
    const reply = await finalReply(channel(4), 0, (t) => t.includes('part3 '));
    reply.deleted = true;
    const deletedAt = Date.now();
    const stream = chatRequests().at(-1)!;
    await stack.discord.waitFor(() => stream.disconnectedAt, 20_000, 'the model call stopped');
    // At the next edit, well before the 12 s answer would have ended.
    expect(stream.disconnectedAt! - deletedAt).toBeLessThan(5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(stack.botMessages(channel(4))).toEqual([]);
    expect(stack.service.running).toBe(true);
  });

  it('fails an /imagine whose interaction token expired for good, without generating twice', async () => {
    stack.chutes.scriptImage({ mode: 'bytes-png', delayMs: 5_000 });
    const generations = () => stack.chutes.requests.filter((r) => r.path === '/generate').length;
    const before = generations();
    const sent = stack.discord.sendInteraction({
      name: 'imagine',
      options: [{ name: 'prompt', type: 3, value: 'too slow a lighthouse' }],
      guildId: GUILD,
      channelId: channel(5),
      user: member(),
      permissions: '0',
    });
    expect((await sent.callback).acknowledged).toBe(true);
    const commands = new Queue(QUEUES.commands, { connection: stack.redis, prefix: stack.prefix });
    try {
      const failed = await stack.discord.waitFor(
        async () => {
          const job = await commands.getJob(jobIdFor('discord', 'cmd', sent.id));
          return job?.failedReason ? job : undefined;
        },
        20_000,
        'the failed command',
      );
      // Refused for good on the first attempt: no retry generates the image again.
      expect(failed.failedReason).toMatch(/forbidden.*401/);
      expect(failed.attemptsMade).toBe(1);
    } finally {
      await commands.close();
    }
    expect(generations() - before).toBe(1);
    expect(stack.service.running).toBe(true);
  });

  it('refuses malformed and oversized Slack requests and stays up', async () => {
    const url = `http://127.0.0.1:${stack.service.port}${SLACK_EVENTS_PATH}`;
    const post = (body: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...signatureHeaders(SLACK.signingSecret, body),
        },
        body,
      });
    expect((await post('{"type": "event_callback", "event": ')).status).toBeGreaterThanOrEqual(400);
    // 413; or, when the refusal and its closed connection beat the client's
    // last writes, the write fails (EPIPE/ECONNRESET): refused either way. The
    // service staying up is checked below.
    const oversized = await post(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`).then(
      (response) => response.status,
      (error: unknown) => (error as { cause?: { code?: string } }).cause?.code ?? String(error),
    );
    expect([413, 'EPIPE', 'ECONNRESET']).toContain(oversized);
    // Still answering.
    const sent = stack.slack.sendMention({
      channel: SLACK.channel(2),
      user: SLACK.bob.id,
      text: 'still there?',
    });
    expect((await sent.delivery).acknowledged).toBe(true);
    expect(stack.service.running).toBe(true);
  });
});
