import { describe, expect, it } from 'vitest';
import {
  ThinkSplitter,
  type ThinkSplitterOptions,
} from '../../src/core/reasoning/think-splitter.js';

/** Feeds the pieces, then ends; returns the answer and thinking put together, and what was retracted. */
function split(pieces: string[], options?: ThinkSplitterOptions) {
  const splitter = new ThinkSplitter(options);
  let answer = '';
  let thinking = '';
  const retracted: string[] = [];
  for (const piece of pieces) {
    const out = splitter.push(piece);
    if (out.retracted !== undefined) {
      expect(answer.endsWith(out.retracted)).toBe(true);
      answer = answer.slice(0, answer.length - out.retracted.length);
      thinking = out.retracted + thinking;
      retracted.push(out.retracted);
    }
    answer += out.answer;
    thinking += out.thinking;
  }
  const last = splitter.end();
  answer += last.answer;
  thinking += last.thinking;
  return {
    answer,
    thinking,
    retracted,
    bare: splitter.closedWithoutOpening,
    unthought: last.unthought,
  };
}

/** Every way of cutting `text` in two and in three pieces. */
function cuts(text: string): string[][] {
  const out: string[][] = [[text]];
  for (let i = 1; i < text.length; i++) {
    out.push([text.slice(0, i), text.slice(i)]);
    for (let j = i + 1; j < text.length; j += 3)
      out.push([text.slice(0, i), text.slice(i, j), text.slice(j)]);
  }
  return out;
}

describe('ThinkSplitter', () => {
  it('passes an answer without tags through as it streams', () => {
    const splitter = new ThinkSplitter();
    expect(splitter.push('Hello ')).toEqual({ answer: 'Hello ', thinking: '' });
    // A `<` could start `</think>`: held back until the next piece says otherwise.
    expect(splitter.push('a <')).toEqual({ answer: 'a ', thinking: '' });
    expect(splitter.push('b')).toEqual({ answer: '<b', thinking: '' });
    expect(splitter.end()).toEqual({ answer: '', thinking: '' });
  });

  it('separates <think>…</think> at the start, whatever the chunk boundaries', () => {
    const text = '<think>The user greets me.\nI greet back.</think>\n\nHi there! <think> stays';
    for (const pieces of cuts(text)) {
      const out = split(pieces);
      expect(out, JSON.stringify(pieces)).toMatchObject({
        answer: 'Hi there! <think> stays',
        thinking: 'The user greets me.\nI greet back.',
        retracted: [],
        bare: false,
      });
    }
  });

  it('takes back what it gave out when only </think> comes (DeepSeek-R1 templates), at any boundary', () => {
    const text = 'Okay, the user asks 2+2. That is 4.\n</think>\n\n2 + 2 = 4.';
    for (const pieces of cuts(text)) {
      const out = split(pieces);
      expect(out.answer, JSON.stringify(pieces)).toBe('2 + 2 = 4.');
      expect(out.thinking).toBe('Okay, the user asks 2+2. That is 4.\n');
      expect(out.bare).toBe(true);
    }
    // Streamed in several pieces, the first ones were shown and are taken back.
    expect(split(['Okay, the user ', 'asks. ', '</thi', 'nk>Four.']).retracted).toEqual([
      'Okay, the user asks. ',
    ]);
  });

  it('holds content as thinking for a model known to leave out <think>', () => {
    const splitter = new ThinkSplitter({ startsThinking: true });
    expect(splitter.push('Let me see')).toEqual({ answer: '', thinking: 'Let me see' });
    expect(splitter.push('.</think>\n')).toEqual({ answer: '', thinking: '.' });
    expect(splitter.push('\nYes.')).toEqual({ answer: 'Yes.', thinking: '' });
    expect(splitter.closedWithoutOpening).toBe(true);
    // With the tag after all, the same.
    expect(split(['<thi', 'nk>hm</think>ok'], { startsThinking: true })).toMatchObject({
      answer: 'ok',
      thinking: 'hm',
    });
  });

  it('gives assumed thinking back as the answer when no </think> comes', () => {
    const out = split(['Just ', 'an answer.'], { startsThinking: true });
    expect(out).toMatchObject({
      answer: 'Just an answer.',
      unthought: 'Just an answer.',
      bare: false,
    });
  });

  it('keeps a thinking cut off before </think> as thinking, and an unfinished tag as text', () => {
    expect(split(['<think>still going'])).toMatchObject({ answer: '', thinking: 'still going' });
    expect(split(['  <thi'])).toMatchObject({ answer: '<thi', thinking: '' });
    expect(split(['ends with </thi'])).toMatchObject({ answer: 'ends with </thi', thinking: '' });
  });

  it('takes a </think> in code for the answer’s text, not the end of a thinking', () => {
    const inline = 'Close it with `</think>` and go on.';
    for (const pieces of cuts(inline))
      expect(split(pieces), JSON.stringify(pieces)).toMatchObject({ answer: inline, bare: false });
    const fenced = 'Like this:\n```xml\n<think>a</think>\n```\nDone.';
    expect(split([fenced.slice(0, 20), fenced.slice(20)])).toMatchObject({
      answer: fenced,
      thinking: '',
      retracted: [],
    });
  });

  it('reads only the first </think>: a later one is the answer’s text', () => {
    expect(split(['<think>a</think>b </think> c'])).toMatchObject({
      answer: 'b </think> c',
      thinking: 'a',
    });
  });
});
