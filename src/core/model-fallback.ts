/**
 * Cold and full models answered by others: a chute with no instance up
 * answers 503 ("No instances available"), one at capacity 429
 * (`infra_overload`), both before any text. With `fallback_models` set, the
 * model is asked once more after a short wait, then each fallback in order,
 * and the first that streams answers; which one and why is told through
 * `onFallback`. A fallback that fails otherwise (renamed, refused the
 * request) is skipped. Without fallbacks, or after text arrived, a failure is the
 * caller's as before (retried with backoff by the queue).
 */
import type { ChatRequest, ChatStreamEvent } from '../chutes/chat-client.js';
import { ChutesError } from '../chutes/errors.js';
import type { ChatModel } from './ports.js';

export const FALLBACK_DEFAULTS = {
  /** The wait before the model is asked a second time: a chute warming up may take it. */
  retryDelayMs: 1_500,
} as const;

/** Why another model answered: the model had no instance up (503), or no capacity (429). */
export type FallbackReason = 'cold' | 'full';

export interface FallbackUsed {
  /** The model that answered. */
  readonly model: string;
  /** The model asked for. */
  readonly from: string;
  readonly reason: FallbackReason;
}

export interface FallbackOptions {
  /** The models to try, in order, after the one asked for. */
  readonly fallbacks: readonly string[];
  readonly signal?: AbortSignal;
  /** Called once, before the first event of a fallback's answer. */
  readonly onFallback?: (used: FallbackUsed) => void;
  /**
   * Called when a fallback fails otherwise than cold or full (it is no longer
   * listed, it refused the request, it timed out): the next one is tried.
   */
  readonly onSkipped?: (model: string, error: unknown) => void;
  readonly retryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The reason another model may answer for this error; undefined: it may not. */
export function fallbackReason(error: unknown): FallbackReason | undefined {
  if (!(error instanceof ChutesError) || error.code !== 'overloaded') return undefined;
  return error.status === 503 ? 'cold' : 'full';
}

/**
 * A fallback's own failure that moves on to the next: anything Chutes says
 * of that model. Not a refused key or a used-up balance: those are the
 * account's, and every model would answer the same.
 */
function skippable(error: unknown): boolean {
  return (
    error instanceof ChutesError && error.code !== 'unauthorized' && error.code !== 'no_balance'
  );
}

/**
 * The models asked, in order: the one asked for, itself once more (only when
 * there are fallbacks: without them the queue's backoff retries), then each
 * fallback that is not the model itself.
 */
export function fallbackChain(model: string, fallbacks: readonly string[]): string[] {
  const others = fallbacks.filter((name) => name !== model);
  return others.length === 0 ? [model] : [model, model, ...others];
}

/**
 * Streams the answer of `request.model`, or of the first fallback that has
 * capacity. Only a failure before the first event moves on; when every model
 * is cold or full, the first model's error is thrown.
 */
export async function* streamWithFallback(
  model: ChatModel,
  request: ChatRequest,
  options: FallbackOptions,
): AsyncIterable<ChatStreamEvent> {
  const chain = fallbackChain(request.model, options.fallbacks);
  const sleep = options.sleep ?? defaultSleep;
  let firstError: unknown;
  let reason: FallbackReason | undefined;
  for (let i = 0; i < chain.length; i++) {
    const name = chain[i]!;
    // The model's second ask waits a little: a warming chute may have come up.
    if (i === 1 && name === request.model) {
      await sleep(options.retryDelayMs ?? FALLBACK_DEFAULTS.retryDelayMs);
      options.signal?.throwIfAborted();
    }
    let started = false;
    try {
      for await (const event of model.streamChat({ ...request, model: name }, options.signal)) {
        if (!started) {
          started = true;
          if (name !== request.model && reason !== undefined)
            options.onFallback?.({ model: name, from: request.model, reason });
        }
        yield event;
      }
      return;
    } catch (error) {
      if (started || options.signal?.aborted) throw error;
      const why = fallbackReason(error);
      if (why === undefined) {
        // The model's own failure is the caller's; a fallback's moves on to the next.
        if (name === request.model || !skippable(error)) throw error;
        options.onSkipped?.(name, error);
      }
      firstError ??= error;
      // The first model's reason is the one told: it is why anyone else answers.
      reason ??= why;
    }
  }
  throw firstError;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
