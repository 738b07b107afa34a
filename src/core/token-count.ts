/**
 * Counts tokens the way an OpenAI BPE does (cl100k_base, through
 * gpt-tokenizer). Chutes serves models with tokenizers of their own, so the
 * count is an estimate: callers keep a margin (see history-fit.ts). cl100k
 * rather than o200k: on the open models Chutes serves (128k–152k vocabularies)
 * it counts as many tokens as they use or a few more, never far fewer; it
 * loads in half the time and memory.
 *
 * The encoding (about 20 MB of heap) is loaded on first use, so processes
 * that never answer a question (gateways, commands) do without it. Counts are
 * cached by text: a conversation's history is the same stored messages job
 * after job, so each is counted about once.
 */
import { LRUCache } from 'lru-cache';

export type TokenCounter = (text: string) => number;

/** Text that looks like a special token (`<|endoftext|>`) is counted as text, not refused. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Texts shorter than this are counted again rather than cached: cheaper than the cache entry. */
const CACHE_FROM_CHARS = 16;

const cache = new LRUCache<string, number>({
  // About 16 MB of cached text (UTF-16), a few thousand messages.
  maxSize: 8_000_000,
  sizeCalculation: (_tokens, text) => text.length,
});

let loading: Promise<TokenCounter> | undefined;

/** The cl100k_base counter, loaded once. */
export function tokenCounter(): Promise<TokenCounter> {
  loading ??= import('gpt-tokenizer/encoding/cl100k_base').then(
    ({ countTokens }): TokenCounter =>
      (text) => {
        if (text.length < CACHE_FROM_CHARS) return countTokens(text, AS_TEXT);
        const cached = cache.get(text);
        if (cached !== undefined) return cached;
        const tokens = countTokens(text, AS_TEXT);
        cache.set(text, tokens);
        return tokens;
      },
    (error: unknown) => {
      // A later question tries again.
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
