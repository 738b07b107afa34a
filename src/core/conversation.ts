/**
 * Which stored messages go to the model: the system prompt, then as much of
 * the conversation as fits the budget (newest first, never with a gap), then
 * the current message — the first and last are always kept.
 */
import type { ChatMessage } from '../chutes/chat-client.js';

export interface StoredMessage {
  readonly role: 'user' | 'assistant';
  readonly authorName: string | null;
  readonly content: string;
}

export interface WindowInput {
  readonly systemPrompt: string;
  /** Oldest first. */
  readonly history: readonly StoredMessage[];
  readonly current: { readonly authorName: string; readonly content: string };
  readonly tokenBudget: number;
}

/** A rough token count: about four characters a token, plus a little per message. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

/** People share a channel: the model is told who said what. */
export function asModelText(message: { authorName: string | null; content: string }): string {
  return message.authorName ? `${message.authorName}: ${message.content}` : message.content;
}

export function buildWindow(input: WindowInput): ChatMessage[] {
  const system: ChatMessage = { role: 'system', content: input.systemPrompt };
  // A question larger than the whole budget is cut to fit it, with a note.
  const room = Math.max(64, input.tokenBudget - estimateTokens(system.content));
  const asked = asModelText(input.current);
  const current: ChatMessage = {
    role: 'user',
    content: estimateTokens(asked) <= room ? asked : clipTo(asked, (room - 4) * 4),
  };
  let remaining =
    input.tokenBudget - estimateTokens(system.content) - estimateTokens(current.content);
  const kept: ChatMessage[] = [];
  for (let i = input.history.length - 1; i >= 0; i--) {
    const stored = input.history[i]!;
    const content = stored.role === 'user' ? asModelText(stored) : stored.content;
    const cost = estimateTokens(content);
    if (cost > remaining) break;
    remaining -= cost;
    kept.push({ role: stored.role, content });
  }
  // A window that opens with the bot's answer has lost its question: drop it.
  while (kept.length > 0 && kept[kept.length - 1]!.role === 'assistant') kept.pop();
  kept.reverse();
  return input.systemPrompt.trim() === '' ? [...kept, current] : [system, ...kept, current];
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
