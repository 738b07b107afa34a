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
  const current: ChatMessage = { role: 'user', content: asModelText(input.current) };
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
