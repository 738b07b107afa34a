import { describe, expect, it } from 'vitest';
import { summarizeThinking, SUMMARY_CHARS } from '../../src/core/reasoning/summary.js';
import { ThinkingAnswer, type AnswerSink } from '../../src/core/reasoning/thinking-answer.js';

/** What a reply would show: the text appended (minus what was taken back), and the thinking marks. */
function sink() {
  const shown = { text: '', thinking: [] as (number | undefined)[], retracts: 0 };
  const s: AnswerSink = {
    append: (text) => (shown.text += text),
    retract: () => {
      shown.text = '';
      shown.retracts++;
    },
    thinking: (since) => shown.thinking.push(since),
  };
  return { shown, s };
}

describe('ThinkingAnswer', () => {
  it('shows thinking as such, then only the answer, and stores only the answer', () => {
    let clock = 1_000;
    const { shown, s } = sink();
    const reply = new ThinkingAnswer(s, { model: 'm1', showReasoning: false, now: () => clock });
    reply.take({ type: 'reasoning', content: 'The user wants a haiku. ' });
    expect(shown).toMatchObject({ text: '', thinking: [1_000] });
    clock = 13_000;
    reply.take({ type: 'reasoning', content: 'Five, seven, five.' });
    reply.take({ type: 'delta', content: 'Autumn moon' });
    reply.end();
    expect(shown.text).toBe('Autumn moon');
    expect(shown.thinking.at(-1)).toBeUndefined();
    expect(reply.answer).toBe('Autumn moon');
    expect(reply.prefix).toBe('');
  });

  it('with show_reasoning, starts the answer with a quoted summary that is not stored', () => {
    let clock = 0;
    const { shown, s } = sink();
    const reply = new ThinkingAnswer(s, { model: 'm2', showReasoning: true, now: () => clock });
    reply.take({ type: 'delta', content: '<think>Compare the two. ' });
    clock = 12_400;
    reply.take({ type: 'delta', content: 'B is cheaper.</think>\n\nTake **B**.' });
    reply.end();
    expect(reply.answer).toBe('Take **B**.');
    expect(reply.prefix).toBe('> 💭 _Thought for 12 s_\n> Compare the two. B is cheaper.\n\n');
    expect(shown.text).toBe(`${reply.prefix}Take **B**.`);
  });

  it('takes back thinking shown before a bare </think>, and holds it back for that model next time', () => {
    const { shown, s } = sink();
    const first = new ThinkingAnswer(s, { model: 'r1-like', showReasoning: false });
    first.take({ type: 'delta', content: 'Hmm, let me think. ' });
    expect(shown.text).toBe('Hmm, let me think. ');
    first.take({ type: 'delta', content: 'Yes.</think>Four.' });
    first.end();
    expect(shown).toMatchObject({ text: 'Four.', retracts: 1 });
    expect(first.answer).toBe('Four.');

    const next = sink();
    const second = new ThinkingAnswer(next.s, { model: 'r1-like', showReasoning: false });
    second.take({ type: 'delta', content: 'Hmm, again. ' });
    expect(next.shown.text).toBe('');
    expect(next.shown.thinking).toHaveLength(1);
    second.take({ type: 'delta', content: '</think>Five.' });
    second.end();
    expect(next.shown).toMatchObject({ text: 'Five.', retracts: 0 });
  });
});

describe('summarizeThinking', () => {
  it('keeps the end of a long thinking, from a sentence start, on one line without Markdown', () => {
    const long = `${'First I restate the question. '.repeat(30)}So the answer is \`42\`.\n\n# Done`;
    const summary = summarizeThinking(long);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_CHARS + 1);
    expect(summary.startsWith('…')).toBe(true);
    expect(summary.endsWith('So the answer is 42. Done')).toBe(true);
    expect(summary).not.toMatch(/[`#\n]/);
  });
});
