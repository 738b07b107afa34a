import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/core/conversation.js';
import {
  contextLengthOf,
  fitHistory,
  HISTORY_FIT,
  type FitInput,
} from '../../src/core/history-fit.js';
import { tokenCounter, type TokenCounter } from '../../src/core/token-count.js';
import { questionTooLongText } from '../../src/core/user-messages.js';

let countTokens: TokenCounter;
beforeAll(async () => {
  countTokens = await tokenCounter();
});

/** One token a character: the arithmetic of the cut, exactly. */
const byChars = (text: string) => text.length;

/** An exchange whose question and answer cost 100 counted tokens each ('Ann: ' + 87 + 8). */
const exchange = (i: number): StoredMessage[] => [
  { role: 'user', authorName: 'Ann', content: `q${String(i).padStart(2, '0')}`.padEnd(87, 'x') },
  {
    role: 'assistant',
    authorName: null,
    content: `a${String(i).padStart(2, '0')}`.padEnd(92, 'y'),
  },
];
const history = Array.from({ length: 10 }, (_, i) => exchange(i)).flat();

/**
 * System prompt 'S' (1 + 8) and the frame (16): 25; the question 'Bob: now?' (9 + 8): 17.
 * A context of 871 less 100 for the answer is 771, 642 counted tokens with the margin:
 * 600 left for the history, three exchanges.
 */
const base: FitInput = {
  systemPrompt: 'S',
  history,
  current: { authorName: 'Bob', content: 'now?' },
  historyBudget: 10_000,
  contextLength: 871,
  answerTokens: 100,
  count: byChars,
};

const contents = (input: FitInput) => {
  const fit = fitHistory(input);
  if (!fit.fits) throw new Error('expected the question to fit');
  return fit.messages.map((m) => `${m.role}:${m.content.slice(0, 8)}`);
};

describe('fitHistory', () => {
  it('sends the system prompt, the history oldest first and the question with its author', () => {
    const fit = fitHistory({ ...base, history: exchange(1), contextLength: 100_000 });
    expect(fit).toEqual({
      fits: true,
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: `Ann: ${exchange(1)[0]!.content}` },
        { role: 'assistant', content: exchange(1)[1]!.content },
        { role: 'user', content: 'Bob: now?' },
      ],
      promptTokens: 25 + 200 + 17,
      dropped: 0,
    });
  });

  it("drops the oldest exchanges first, a question with its answer, to fit the model's context", () => {
    expect(contents(base)).toEqual([
      'system:S',
      'user:Ann: q07',
      'assistant:a07yyyyy',
      'user:Ann: q08',
      'assistant:a08yyyyy',
      'user:Ann: q09',
      'assistant:a09yyyyy',
      'user:Bob: now',
    ]);
    const fit = fitHistory(base);
    expect(fit.fits && fit.dropped).toBe(7);
    // What is sent, with the margin, stays within the context less the answer.
    expect(fit.fits && fit.promptTokens * HISTORY_FIT.margin).toBeLessThanOrEqual(871 - 100);
  });

  it('keeps the tokens of the answer free: a larger max_tokens leaves less history', () => {
    // 771 - 200 = 571, 475 counted: 433 for the history, two exchanges.
    expect(contents({ ...base, answerTokens: 300 }).slice(1, -1)).toEqual([
      'user:Ann: q08',
      'assistant:a08yyyyy',
      'user:Ann: q09',
      'assistant:a09yyyyy',
    ]);
  });

  it('sends no more history than the history budget, however large the context', () => {
    const kept = contents({ ...base, contextLength: 1_000_000, historyBudget: 450 });
    expect(kept.slice(1, -1)).toEqual([
      'user:Ann: q08',
      'assistant:a08yyyyy',
      'user:Ann: q09',
      'assistant:a09yyyyy',
    ]);
    expect(contents({ ...base, contextLength: 1_000_000 })).toHaveLength(2 + history.length);
  });

  it('never leaves a gap: an exchange too large ends the history even if older ones would fit', () => {
    const large: StoredMessage[] = [
      ...history.slice(0, -1),
      { role: 'assistant', authorName: null, content: 'z'.repeat(1_000) },
    ];
    const fit = fitHistory({ ...base, history: large });
    expect(fit).toMatchObject({ fits: true, dropped: 10 });
    expect(contents({ ...base, history: large })).toEqual(['system:S', 'user:Bob: now']);
  });

  it('leaves out answers whose question was not read, and omits an empty system prompt', () => {
    const fit = fitHistory({
      ...base,
      systemPrompt: '  ',
      history: [exchange(1)[1]!, ...exchange(2)],
      contextLength: 100_000,
    });
    expect(fit.fits && fit.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(fit.fits && fit.messages[0]!.content).toMatch(/^Ann: q02/);
  });

  it('keeps the question whole up to the room the context leaves, and refuses it beyond', () => {
    // 642 counted tokens less the frame (25) and the question's own 8: 609 for 'Bob: …'.
    const longest = { authorName: 'Bob', content: 'q'.repeat(604) };
    const fits = fitHistory({ ...base, current: longest });
    expect(fits.fits && fits.messages).toEqual([
      { role: 'system', content: 'S' },
      { role: 'user', content: `Bob: ${longest.content}` },
    ]);
    const tooLong = fitHistory({ ...base, current: { ...longest, content: 'q'.repeat(605) } });
    expect(tooLong).toEqual({
      fits: false,
      contextLength: 871,
      answerTokens: 100,
      questionRoom: 609,
    });
  });

  it('has no room for any question when the system prompt and the answer fill the context', () => {
    const fit = fitHistory({ ...base, systemPrompt: 'S'.repeat(700) });
    expect(fit.fits).toBe(false);
    expect(!fit.fits && fit.questionRoom).toBeLessThanOrEqual(0);
    const atMaxTokens = fitHistory({ ...base, answerTokens: 871 });
    expect(!atMaxTokens.fits && atMaxTokens.questionRoom).toBeLessThanOrEqual(0);
  });

  it('counts tokens, not characters: digits are about three to a token', () => {
    // 605 characters, which four to a token would take for about 156 tokens: 211 counted.
    const digits: StoredMessage[] = [
      { role: 'user', authorName: 'Ann', content: '1234567890'.repeat(60) },
      { role: 'assistant', authorName: null, content: 'ok' },
    ];
    expect(countTokens(`Ann: ${'1234567890'.repeat(60)}`)).toBe(203);
    const input = { ...base, history: digits, count: countTokens, contextLength: 100_000 };
    expect(fitHistory({ ...input, historyBudget: 219 })).toMatchObject({ dropped: 1 });
    expect(fitHistory({ ...input, historyBudget: 220 })).toMatchObject({ dropped: 0 });
  });
});

describe('the answer to a question too long for the model', () => {
  it("names the model, its context, the answer's share and the room left, in one sentence", () => {
    const text = questionTooLongText('model-a', {
      contextLength: 8_192,
      answerTokens: 1_024,
      questionRoom: 5_900,
    });
    expect(text).toBe(
      '⚠️ Your question is too long for the model `model-a`: its context of 8,192 tokens, less the system prompt and the 1,024 tokens kept for the answer, leaves room for about 5,900 tokens (roughly 23,000 characters), so please shorten it.',
    );
    expect(text.match(/[.!?](\s|$)/g)).toHaveLength(1);
  });

  it('tells an admin what to change when no question fits at all', () => {
    const text = questionTooLongText('model-a', {
      contextLength: 4_096,
      answerTokens: 4_096,
      questionRoom: -16,
    });
    expect(text).toContain('has no room for a question');
    expect(text).toContain('lower max_tokens');
  });
});

describe('contextLengthOf', () => {
  it("uses the list's context length, else the default", async () => {
    const listed = { contextLength: async (model: string) => (model === 'a' ? 4_096 : undefined) };
    expect(await contextLengthOf('a', listed)).toBe(4_096);
    expect(await contextLengthOf('b', listed)).toBe(HISTORY_FIT.defaultContextLength);
    expect(await contextLengthOf('a', {})).toBe(HISTORY_FIT.defaultContextLength);
  });

  it('uses the default when the list cannot be read, or not in time', async () => {
    const failing = { contextLength: () => Promise.reject(new Error('down')) };
    expect(await contextLengthOf('a', failing, 1_000)).toBe(1_000);
    const never = { contextLength: () => new Promise<number>(() => undefined) };
    const started = Date.now();
    expect(await contextLengthOf('a', never, 1_000, 50)).toBe(1_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('countTokens', () => {
  it('counts text that looks like a special token as text, and a long text alike twice', () => {
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
    const long = 'the same stored answer, '.repeat(100);
    expect(countTokens(long)).toBe(countTokens(long));
    expect(countTokens(long)).toBeGreaterThan(400);
  });
});
