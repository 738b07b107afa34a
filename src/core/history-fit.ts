/**
 * Which stored messages go to the model: the system prompt and the question
 * whole, then as many of the latest exchanges as fit both the history budget
 * and the model's context (less the tokens kept for the answer), oldest
 * dropped first, a question and its answer together, never with a gap.
 *
 * Tokens are counted with an OpenAI BPE (token-count.ts) while Chutes' models
 * use tokenizers of their own, so the context is filled only up to a margin.
 */
import type { ChatMessage } from '../chutes/chat-client.js';
import { asModelText, type StoredMessage } from './conversation.js';
import type { TokenCounter } from './token-count.js';

export const HISTORY_FIT = {
  /**
   * The context of a model the models list gives none for: 32,768 tokens,
   * what the open chat models Chutes serves offer at least.
   */
  defaultContextLength: 32_768,
  /**
   * Counted tokens are taken 1.2 times: older SentencePiece vocabularies
   * (32k tokens) use up to a fifth more tokens than cl100k for the same text.
   */
  margin: 1.2,
  /** Tokens a chat template adds around each message (role markers). */
  perMessage: 8,
  /** Tokens a chat template adds once (its start, the answer's header). */
  perPrompt: 16,
  /** Tokens kept for the answer when no max_tokens is set. */
  answerTokens: 1_024,
  /** How long a question waits for the models list before the default context is used. */
  lookupWaitMs: 2_000,
} as const;

export interface FitInput {
  readonly systemPrompt: string;
  /** Oldest first. */
  readonly history: readonly StoredMessage[];
  readonly current: { readonly authorName: string; readonly content: string };
  /** Most tokens of earlier exchanges sent with a question (HISTORY_TOKEN_BUDGET). */
  readonly historyBudget: number;
  /** The model's context: prompt and answer together. */
  readonly contextLength: number;
  /** Tokens kept for the answer (max_tokens). */
  readonly answerTokens: number;
  /** Counts a text's tokens: tokenCounter() (cl100k_base). */
  readonly count: TokenCounter;
}

export type Fit =
  | {
      readonly fits: true;
      readonly messages: ChatMessage[];
      /** Counted tokens of the prompt sent (without the margin). */
      readonly promptTokens: number;
      /** Exchanges of the history left out. */
      readonly dropped: number;
    }
  | {
      readonly fits: false;
      readonly contextLength: number;
      readonly answerTokens: number;
      /** The longest question that would fit, in counted tokens; 0 or less: none would. */
      readonly questionRoom: number;
    };

/** A question with the answers that followed it, as the model reads them. */
type Exchange = { readonly messages: ChatMessage[]; readonly tokens: number };

export function fitHistory(input: FitInput): Fit {
  const cost = (text: string) => input.count(text) + HISTORY_FIT.perMessage;
  const withSystem = input.systemPrompt.trim() !== '';
  const system: ChatMessage = { role: 'system', content: input.systemPrompt };
  const current: ChatMessage = { role: 'user', content: asModelText(input.current) };

  // What the model may read, in counted tokens: its context less the answer, with the margin.
  const usable = Math.floor(
    Math.max(0, input.contextLength - input.answerTokens) / HISTORY_FIT.margin,
  );
  const frame = HISTORY_FIT.perPrompt + (withSystem ? cost(system.content) : 0);
  const fixed = frame + cost(current.content);
  if (fixed > usable) {
    return {
      fits: false,
      contextLength: input.contextLength,
      answerTokens: input.answerTokens,
      questionRoom: usable - frame - HISTORY_FIT.perMessage,
    };
  }

  let room = Math.min(input.historyBudget, usable - fixed);
  const exchanges = exchangesOf(input.history, cost);
  const kept: Exchange[] = [];
  for (let i = exchanges.length - 1; i >= 0; i--) {
    const exchange = exchanges[i]!;
    if (exchange.tokens > room) break;
    room -= exchange.tokens;
    kept.push(exchange);
  }
  kept.reverse();
  const history = kept.flatMap((exchange) => exchange.messages);
  return {
    fits: true,
    messages: withSystem ? [system, ...history, current] : [...history, current],
    promptTokens: kept.reduce((sum, exchange) => sum + exchange.tokens, fixed),
    dropped: exchanges.length - kept.length,
  };
}

/**
 * The history as exchanges: each question with the answers after it. Answers
 * before the first question (their question was not read) are left out.
 */
function exchangesOf(history: readonly StoredMessage[], cost: (text: string) => number) {
  const exchanges: { messages: ChatMessage[]; tokens: number }[] = [];
  for (const stored of history) {
    const content = stored.role === 'user' ? asModelText(stored) : stored.content;
    if (stored.role === 'user') exchanges.push({ messages: [], tokens: 0 });
    const last = exchanges.at(-1);
    if (!last) continue;
    last.messages.push({ role: stored.role, content });
    last.tokens += cost(content);
  }
  return exchanges;
}

/**
 * The context of `model`: the models list's, where it gives one and answers
 * within `waitMs`; else the default.
 */
export async function contextLengthOf(
  model: string,
  source: { readonly contextLength?: (model: string) => Promise<number | undefined> },
  fallback: number = HISTORY_FIT.defaultContextLength,
  waitMs: number = HISTORY_FIT.lookupWaitMs,
): Promise<number> {
  if (!source.contextLength) return fallback;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
  });
  try {
    const listed = await Promise.race([source.contextLength(model).catch(() => undefined), late]);
    return listed ?? fallback;
  } finally {
    clearTimeout(timer);
  }
}
