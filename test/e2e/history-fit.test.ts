/**
 * History that fits the model, end to end: a model whose listed context is
 * small gets the latest exchanges that fit, oldest dropped first, each
 * question with its answer; a question that cannot fit at all is answered
 * with one sentence and no model call, and is not remembered. On Discord (a
 * shared channel) and Slack (a DM).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, SLACK, startStack, type Stack } from './stack.js';

/**
 * model-a's context: 700 tokens, 100 of them kept for the answer, 500 counted
 * tokens with the margin. A question below (`Q1 word word …`) is about 150
 * tokens with its answer's: two fit beside a short question, three do not.
 */
const CONTEXT = 700;
const ANSWER = 'Noted.';
const where = channel(4);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    chutes: {
      models: [{ id: 'model-a', context_length: CONTEXT }, 'model-b'],
      defaultChat: () => ({ chunks: [ANSWER] }),
    },
    env: { DEFAULT_MAX_TOKENS: '100', DEFAULT_SYSTEM_PROMPT: 'Be brief.' },
    slack: {},
  });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  expect(stack.rateLimited()).toEqual([]);
});

const chatRequests = () =>
  stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));

/** Asks in `where` and waits for the bot's final reply to it; returns the reply's text. */
async function ask(text: string): Promise<string> {
  const before = stack.botMessages(where).length;
  stack.discord.sendMessage({ channelId: where, author: ANN, content: text, mentionsBot: true });
  const reply = await stack.discord.waitFor(
    () => {
      const latest = stack.botMessages(where).slice(before).at(-1);
      return latest && !latest.content.includes('Thinking') ? latest : undefined;
    },
    20_000,
    `the reply to "${text.slice(0, 20)}"`,
  );
  return reply.content;
}

/** Asks in the Slack DM with Ann (no mention needed) and waits for the bot's final reply. */
async function askOnSlack(text: string): Promise<string> {
  const replies = () => stack.slack.botMessages(SLACK.dm).filter((m) => !m.deleted && !m.threadTs);
  const before = replies().length;
  stack.slack.sendDm({ channel: SLACK.dm, user: SLACK.ann.id, text });
  const reply = await stack.slack.waitFor(
    () => {
      const latest = replies().slice(before).at(-1);
      const shown = latest?.markdown ?? latest?.text ?? '';
      return latest && latest.streaming !== 'streaming' && !shown.includes('Thinking')
        ? shown
        : undefined;
    },
    20_000,
    `the Slack reply to "${text.slice(0, 20)}"`,
  );
  return reply;
}

/** The messages the last chat request sent, as `role: <first two words>`. */
function lastSent(): string[] {
  const body = chatRequests().at(-1)!.body as { messages: { role: string; content: string }[] };
  return body.messages.map((m) => `${m.role}: ${m.content.split(' ').slice(0, 2).join(' ')}`);
}

const long = (tag: string) => `${tag} ${'word '.repeat(150).trim()}`;

describe("history cut to the model's context", () => {
  it('sends the latest exchanges that fit, dropping the oldest whole', async () => {
    expect(await ask(long('Q1'))).toBe(ANSWER);
    expect(await ask(long('Q2'))).toBe(ANSWER);
    expect(lastSent()).toEqual([
      'system: Be brief.',
      'user: Ann: Q1',
      `assistant: ${ANSWER}`,
      'user: Ann: Q2',
    ]);
    // Q3 is long: one earlier exchange fits beside it, two do not.
    expect(await ask(long('Q3'))).toBe(ANSWER);
    expect(lastSent()).toEqual([
      'system: Be brief.',
      'user: Ann: Q2',
      `assistant: ${ANSWER}`,
      'user: Ann: Q3',
    ]);
    // A short question leaves room for two.
    expect(await ask('Q4 and now?')).toBe(ANSWER);
    expect(lastSent()).toEqual([
      'system: Be brief.',
      'user: Ann: Q2',
      `assistant: ${ANSWER}`,
      'user: Ann: Q3',
      `assistant: ${ANSWER}`,
      'user: Ann: Q4',
    ]);
    // Each asked model-a, with the max_tokens the cut kept free.
    for (const request of chatRequests()) {
      expect(request.body).toMatchObject({ model: 'model-a', max_tokens: 100 });
    }
  });

  it('answers a question that cannot fit with one sentence, calls no model, and forgets it', async () => {
    const calls = chatRequests().length;
    // Digits are about three to a token: some 600 tokens, beyond the 500 the context leaves.
    const reply = await ask(`Q5 ${'1234567890'.repeat(190)}`);
    expect(reply).toMatch(
      /^⚠️ Your question is too long for the model `model-a`: its context of 700 tokens, less the system prompt and the 100 tokens kept for the answer, leaves room for about [\d,]+ tokens \(roughly [\d,]+ characters\), so please shorten it\.$/,
    );
    expect(chatRequests()).toHaveLength(calls);
    // The conversation goes on without it: Q2 to Q4 fit beside a short question, Q1 does not.
    expect(await ask('Q6 and after?')).toBe(ANSWER);
    expect(chatRequests()).toHaveLength(calls + 1);
    expect(lastSent()).toEqual([
      'system: Be brief.',
      'user: Ann: Q2',
      `assistant: ${ANSWER}`,
      'user: Ann: Q3',
      `assistant: ${ANSWER}`,
      'user: Ann: Q4',
      `assistant: ${ANSWER}`,
      'user: Ann: Q6',
    ]);
  });
});

describe('the same on Slack', () => {
  it('sends a DM conversation cut to the context, and refuses a question too long for it', async () => {
    for (const tag of ['S1', 'S2', 'S3']) expect(await askOnSlack(long(tag))).toBe(ANSWER);
    expect(await askOnSlack('S4 and now?')).toBe(ANSWER);
    expect(lastSent()).toEqual([
      'system: Be brief.',
      'user: Ann: S2',
      `assistant: ${ANSWER}`,
      'user: Ann: S3',
      `assistant: ${ANSWER}`,
      'user: Ann: S4',
    ]);
    const calls = chatRequests().length;
    expect(await askOnSlack(`S5 ${'1234567890'.repeat(190)}`)).toMatch(
      /^⚠️ Your question is too long for the model `model-a`: its context of 700 tokens/,
    );
    expect(chatRequests()).toHaveLength(calls);
  });
});
