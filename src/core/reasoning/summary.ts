/**
 * The short summary of a model's thinking that `show_reasoning` puts above
 * the answer: the end of the thinking, not its start. A reasoning trace opens
 * by restating the question ("Okay, the user asks…") and closes with what the
 * model settled on ("So the answer is…"), which is the part worth a glance.
 * It is one quoted paragraph, cut at a sentence start, so it reads as an
 * aside and never as part of the answer.
 */
import { thoughtForText } from '../user-messages.js';

/** About two lines on a phone: enough for the conclusion, small next to the answer. */
export const SUMMARY_CHARS = 300;
/** The thinking kept while it streams: enough to find a sentence start in. */
export const THINKING_TAIL_CHARS = 4 * SUMMARY_CHARS;

/** Whole seconds, at least 1: "Thought for 0 s" reads like nothing happened. */
export function thoughtSeconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1000));
}

/**
 * The last `SUMMARY_CHARS` of the thinking, from a sentence start where there
 * is one, on one line, without Markdown that could reach out of the quote
 * (fences, quotes, headings, emphasis) or Slack's control characters.
 */
export function summarizeThinking(thinking: string): string {
  const flat = thinking
    .replace(/[`*_~|<>#\\[\]]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat.length <= SUMMARY_CHARS) return flat;
  const tail = flat.slice(flat.length - SUMMARY_CHARS);
  const sentence = /[.!?…]\s+(?=\S)/.exec(tail);
  const start =
    sentence && sentence.index < SUMMARY_CHARS / 2 ? sentence.index + sentence[0].length : 0;
  const cut = tail.slice(start);
  // Not at a sentence start: begin at a word.
  const text = start === 0 ? cut.slice(cut.indexOf(' ') + 1) : cut;
  return `…${text}`;
}

/** The block above the answer: a quote saying how long the model thought, and the summary. */
export function reasoningBlock(thinking: string, ms: number): string {
  const summary = summarizeThinking(thinking);
  const heading = `> ${thoughtForText(thoughtSeconds(ms))}`;
  return summary === '' ? `${heading}\n\n` : `${heading}\n> ${summary}\n\n`;
}
