/**
 * Reasoning models end to end, on Discord and Slack: whichever way a model
 * streams its thinking (reasoning_content, reasoning, <think> tags, or only
 * </think>), the reply shows that it thinks and for how long, never shows or
 * stores the thinking as the answer, and with show_reasoning starts the
 * answer with a short quoted summary; the usage still counts the thinking.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, GUILD, interactionAnswer, SLACK, startStack, type Stack } from './stack.js';

const ADMIN = String(0x20 | 0x400 | 0x800);
const SUBCOMMAND = 1;
const STRING = 3;
const CHANNEL = 7;
const BOOLEAN = 5;

/** Thinking that must never be shown as, or stored with, the answer. */
const THOUGHTS = [
  'SECRET-1 the user ',
  'asks for a sum. ',
  'SECRET-2 two plus two ',
  'is four. ',
  'SECRET-3 I answer ',
  'with the sum.',
];
const ANSWER = ['The sum ', 'is 4.'];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    slack: {},
    chutes: {
      reasoningModels: {
        'think-rc': 'reasoning_content',
        'think-r': 'reasoning',
        'think-tags': 'think-tags',
        'think-r1': 'think-close-only',
      },
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  expect(stack.rateLimited()).toEqual([]);
});

/** The answers stored on a platform, once there are `count`. */
async function storedAnswers(platform: string, count: number): Promise<string[]> {
  for (let tries = 0; ; tries++) {
    const answers = await readAnswers(platform);
    if (answers.length >= count || tries > 50) return answers;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function readAnswers(platform: string): Promise<string[]> {
  const { rows } = await stack.database.pool.query<{ content: string }>(
    `SELECT content FROM conversation_messages WHERE platform = $1 AND role = 'assistant' ORDER BY id`,
    [platform],
  );
  return rows.map((r) => r.content);
}

async function lastUsage(): Promise<{ completion_tokens: number; model: string }> {
  const { rows } = await stack.database.pool.query<{ completion_tokens: number; model: string }>(
    'SELECT completion_tokens, model FROM usage ORDER BY id DESC LIMIT 1',
  );
  return rows[0]!;
}

describe('reasoning models on Discord', () => {
  async function set(where: string, options: unknown[]): Promise<void> {
    const sent = stack.discord.sendInteraction({
      name: 'settings',
      options: [
        {
          name: 'set',
          type: SUBCOMMAND,
          options: [{ name: 'channel', type: CHANNEL, value: where }, ...options],
        },
      ],
      guildId: GUILD,
      channelId: where,
      user: ANN,
      permissions: ADMIN,
    });
    expect((await interactionAnswer(stack, sent.id)).original!.content).toContain(
      'Settings updated',
    );
  }

  async function ask(where: string, content: string, final: (text: string) => boolean) {
    const before = stack.botMessages(where).length;
    stack.discord.sendMessage({ channelId: where, author: ANN, content, mentionsBot: true });
    return stack.discord.waitFor(
      () => {
        const reply = stack.botMessages(where)[before];
        return reply && final(reply.content) ? reply : undefined;
      },
      20_000,
      `the answer to "${content}"`,
    );
  }

  const everyText = (reply: { content: string; edits: { content: string }[] }) => [
    reply.content,
    ...reply.edits.map((e) => e.content),
  ];

  it('shows how long a reasoning_content model thinks, then only the answer, stored alone', async () => {
    await set(channel(1), [{ name: 'model', type: STRING, value: 'think-rc' }]);
    stack.chutes.script({ thinking: THOUGHTS, chunks: ANSWER, chunkDelayMs: 1_300 });
    const reply = await ask(channel(1), 'what is 2+2?', (t) => t === ANSWER.join(''));
    const texts = everyText(reply);
    // Not a blank placeholder for the whole think: the time moved on.
    expect(texts.some((t) => /^⏳ _Thinking… \d+ s_$/.test(t))).toBe(true);
    for (const text of texts) expect(text).not.toContain('SECRET');
    expect((await storedAnswers('discord', 1)).at(-1)).toBe(ANSWER.join(''));
    // The thinking's tokens are paid for, and counted.
    expect(await lastUsage()).toMatchObject({
      model: 'think-rc',
      completion_tokens: THOUGHTS.length + ANSWER.length,
    });
  }, 45_000);

  it('takes back a DeepSeek-R1 style thinking (only </think>), and holds it back next time', async () => {
    await set(channel(2), [{ name: 'model', type: STRING, value: 'think-r1' }]);
    const first = await ask(channel(2), 'first question', (t) => t.startsWith('You said:'));
    expect(first.content).toBe('You said: Ann: first question');
    // The next answer of the same model never shows its thinking at all.
    stack.chutes.script({ thinking: THOUGHTS, chunks: ANSWER, chunkDelayMs: 300 });
    const second = await ask(channel(2), 'second question', (t) => t === ANSWER.join(''));
    for (const text of everyText(second)) expect(text).not.toContain('SECRET');
    const stored = await storedAnswers('discord', 3);
    expect(stored.slice(-2)).toEqual(['You said: Ann: first question', ANSWER.join('')]);
    for (const answer of stored) expect(answer).not.toMatch(/Thinking about|SECRET|think>/);
  });

  it('with show_reasoning, starts the answer with a quoted summary that is not stored', async () => {
    await set(channel(3), [
      { name: 'model', type: STRING, value: 'think-tags' },
      { name: 'show_reasoning', type: BOOLEAN, value: true },
    ]);
    stack.chutes.script({ thinking: THOUGHTS, chunks: ANSWER, chunkDelayMs: 200 });
    const reply = await ask(channel(3), 'sum please', (t) => t.endsWith(ANSWER.join('')));
    expect(reply.content).toMatch(
      /^> 💭 _Thought for \d+ s_\n> SECRET-1 the user asks for a sum\. SECRET-2 two plus two is four\. SECRET-3 I answer with the sum\.\n\nThe sum is 4\.$/,
    );
    expect((await storedAnswers('discord', 4)).at(-1)).toBe(ANSWER.join(''));
    // The next question's history holds the answer alone.
    stack.chutes.script({ chunks: ['ok'] });
    await ask(channel(3), 'and again?', (t) => t.endsWith('ok'));
    const body = stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!
      .body as { messages: { role: string; content: string }[] };
    const assistant = body.messages.filter((m) => m.role === 'assistant').map((m) => m.content);
    expect(assistant).toEqual([ANSWER.join('')]);
  });
});

describe('reasoning models on Slack', () => {
  async function command(text: string, where: string) {
    const sent = stack.slack.runCommand({
      command: '/settings',
      text,
      user: SLACK.boss.id,
      channel: where,
    });
    await sent.ack;
    const answer = await stack.slack.waitFor(
      () =>
        stack.slack
          .commandResponses(sent.id)
          .find((r) => r.via === 'response_url' || (r.via === 'ack' && r.text)),
      10_000,
      `the answer to /settings ${text}`,
    );
    expect(answer.text).toContain('Settings updated');
  }

  async function ask(where: string, text: string, final: (t: string) => boolean) {
    const sent = stack.slack.sendMention({ channel: where, user: SLACK.ann.id, text });
    const reply = await stack.slack.waitFor(
      () => {
        const [message] = stack.slack.botMessages(where, sent.ts);
        return message &&
          message.streaming !== 'streaming' &&
          final(message.markdown ?? message.text)
          ? message
          : undefined;
      },
      20_000,
      `the answer to "${text}"`,
    );
    return { reply, ts: sent.ts };
  }

  it('streams a `reasoning` model: the thread says it is thinking and for how long, the stream has only the answer', async () => {
    const where = SLACK.channel(2);
    await command('set here model=think-r', where);
    stack.chutes.script({ thinking: THOUGHTS, chunks: ANSWER, chunkDelayMs: 1_300 });
    const { reply, ts } = await ask(where, 'what is 2+2?', (t) => t === ANSWER.join(''));
    for (const version of reply.history) expect(version.text).not.toContain('SECRET');
    const statuses = stack.slack.statuses.filter((s) => s.threadTs === ts).map((s) => s.status);
    expect(statuses).toContain('is thinking…');
    expect(statuses.some((s) => /^is thinking… \d+ s$/.test(s))).toBe(true);
    expect((await storedAnswers('slack', 1)).at(-1)).toBe(ANSWER.join(''));
  }, 45_000);

  it('in a DM, where no status shows, says it is thinking in the reply itself', async () => {
    stack.chutes.script({
      reasoningStyle: 'reasoning_content',
      thinking: THOUGHTS,
      chunks: ANSWER,
      chunkDelayMs: 1_300,
    });
    const sent = stack.slack.sendDm({ channel: SLACK.dm, user: SLACK.ann.id, text: 'dm sum?' });
    const reply = await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(SLACK.dm)
          .find((m) => m.ts > sent.ts && !m.threadTs && m.text === ANSWER.join('')),
      20_000,
      'the answer in the DM',
    );
    const texts = reply.history.map((v) => v.text);
    expect(texts.some((t) => /^⏳ _Thinking… \d+ s_$/.test(t))).toBe(true);
    for (const text of texts) expect(text).not.toContain('SECRET');
    expect((await storedAnswers('slack', 2)).at(-1)).toBe(ANSWER.join(''));
  }, 45_000);

  it('with show_reasoning, the streamed answer starts with the quoted summary', async () => {
    const where = SLACK.channel(3);
    await command('set here model=think-rc show_reasoning=true', where);
    stack.chutes.script({ thinking: THOUGHTS, chunks: ANSWER, chunkDelayMs: 100 });
    const { reply } = await ask(where, 'sum?', (t) => t.endsWith(ANSWER.join('')));
    expect(reply.markdown).toMatch(
      /^> 💭 _Thought for \d+ s_\n> SECRET-1 .* with the sum\.\n\nThe sum is 4\.$/s,
    );
    expect((await storedAnswers('slack', 3)).at(-1)).toBe(ANSWER.join(''));
  });
});
