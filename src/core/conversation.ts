/**
 * The conversation's messages as the model reads them: who said what, and a
 * question's text cleaned and capped. Which of them are sent: history-fit.ts.
 */

export interface StoredMessage {
  readonly role: 'user' | 'assistant';
  readonly authorName: string | null;
  readonly content: string;
}

/** A rough token count: about four characters a token, plus a little per message. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

/** People share a channel: the model is told who said what. */
export function asModelText(message: { authorName: string | null; content: string }): string {
  return message.authorName ? `${message.authorName}: ${message.content}` : message.content;
}

/** The longest question kept (Slack allows 40,000 characters; the job schema as much). */
export const MAX_QUESTION_CHARS = 40_000;
const SHORTENED = '\n[… the rest of this message was cut: it was too long]';

/**
 * A question as the model and the history get it: control characters and
 * invisible ones that carry no meaning (zero-width space, word joiner, byte
 * order mark) removed, the zero-width joiner of emoji kept; at most
 * MAX_QUESTION_CHARS, cut with a note.
 */
export function questionText(raw: string): string {
  const text = raw
    // eslint-disable-next-line no-control-regex -- removing them is the point
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B\u2060\uFEFF]/g, '')
    .trim();
  return text.length <= MAX_QUESTION_CHARS ? text : clipTo(text, MAX_QUESTION_CHARS);
}

function clipTo(text: string, chars: number): string {
  return text.slice(0, Math.max(0, chars - SHORTENED.length)).trimEnd() + SHORTENED;
}
