import { describe, expect, it } from 'vitest';
import { MAX_QUESTION_CHARS, questionText } from '../../src/core/conversation.js';

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
