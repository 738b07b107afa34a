import { describe, expect, it } from 'vitest';
import {
  buildWindow,
  estimateTokens,
  MAX_QUESTION_CHARS,
  questionText,
  type StoredMessage,
} from '../../src/core/conversation.js';

const turn = (i: number): StoredMessage[] => [
  { role: 'user', authorName: 'Ann', content: `question ${i} ${'x'.repeat(40)}` },
  { role: 'assistant', authorName: null, content: `answer ${i} ${'y'.repeat(40)}` },
];

describe('buildWindow', () => {
  it('sends system prompt, history oldest first, and the current message with its author', () => {
    const messages = buildWindow({
      systemPrompt: 'Be brief.',
      history: [...turn(1), ...turn(2)],
      current: { authorName: 'Bob', content: 'and now?' },
      tokenBudget: 10_000,
    });
    expect(messages.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(messages[1]!.content).toMatch(/^Ann: question 1/);
    expect(messages[2]!.content).toMatch(/^answer 1/);
    expect(messages.at(-1)).toEqual({ role: 'user', content: 'Bob: and now?' });
  });

  it('keeps the newest messages that fit the budget, without gaps', () => {
    const history = Array.from({ length: 20 }, (_, i) => turn(i)).flat();
    const budget = 200;
    const messages = buildWindow({
      systemPrompt: 'S',
      history,
      current: { authorName: 'Bob', content: 'latest' },
      tokenBudget: budget,
    });
    const used = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
    expect(used).toBeLessThanOrEqual(budget);
    expect(messages.at(-2)!.content).toMatch(/^answer 19/);
    const kept = messages.slice(1, -1);
    expect(kept.length).toBeGreaterThan(2);
    expect(kept.length).toBeLessThan(history.length);
    // Contiguous: the kept messages are exactly the tail of the history.
    expect(kept.map((m) => m.content)).toEqual(
      history
        .slice(history.length - kept.length)
        .map((m) => (m.role === 'user' ? `Ann: ${m.content}` : m.content)),
    );
    expect(kept[0]!.role).toBe('user');
  });

  it('always keeps the system prompt and the current message, even over budget', () => {
    const messages = buildWindow({
      systemPrompt: 'S'.repeat(1000),
      history: turn(1),
      current: { authorName: 'Bob', content: 'Q'.repeat(1000) },
      tokenBudget: 10,
    });
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('omits an empty system prompt', () => {
    const messages = buildWindow({
      systemPrompt: '  ',
      history: [],
      current: { authorName: 'Bob', content: 'hi' },
      tokenBudget: 100,
    });
    expect(messages).toEqual([{ role: 'user', content: 'Bob: hi' }]);
  });
});

describe('questionText', () => {
  it('removes control and invisible characters, keeps line breaks and emoji joiners', () => {
    expect(questionText('he\u0000l\u0007lo\u200B wor\uFEFFld\u2060\n\tnext\u009B')).toBe(
      'hello world\n\tnext',
    );
    const family = '👨\u200D👩\u200D👧';
    expect(questionText(`a ${family} b`)).toBe(`a ${family} b`);
    // Nothing but invisible characters is an empty question.
    expect(questionText('\u200B\u200B \u0000')).toBe('');
  });

  it('cuts a 100 KB message to the longest question kept, saying so', () => {
    const text = questionText('x'.repeat(100_000));
    expect(text.length).toBeLessThanOrEqual(MAX_QUESTION_CHARS);
    expect(text).toMatch(/too long\]$/);
  });
});

describe('buildWindow with a question larger than the budget', () => {
  it('cuts the question to fit, so the request stays within the history budget', () => {
    const window = buildWindow({
      systemPrompt: 'S',
      history: [{ role: 'user', authorName: 'Ann', content: 'earlier' }],
      current: { authorName: 'Ann', content: 'y'.repeat(40_000) },
      tokenBudget: 2_000,
    });
    const total = window.reduce((n, m) => n + estimateTokens(m.content), 0);
    expect(total).toBeLessThanOrEqual(2_000);
    expect(window.at(-1)!.content).toMatch(/^Ann: y+/);
    expect(window.at(-1)!.content).toMatch(/too long\]$/);
  });
});
