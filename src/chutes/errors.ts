import { BotError } from '../errors.js';

/**
 * What went wrong talking to Chutes, as callers branch on it:
 * - `unauthorized`: 401/403, the API key is missing, wrong or revoked.
 * - `no_balance`: 402, the account has no balance or quota left.
 * - `model_not_found`: 404, the model is unknown or not public.
 * - `overloaded`: 429/503, no instances available, under maintenance, or too many requests.
 * - `bad_request`: 400/413/422, the request itself was refused.
 * - `prompt_rejected`: a 400/422 whose text says the prompt was refused or flagged.
 * - `server_error`: any other 5xx.
 * - `network`: the request never got an answer (DNS, refused, reset).
 * - `timeout`: no headers, no chunk or no image in time.
 * - `bad_response`: an answer the client cannot use (unparseable stream, error inside the
 *   stream, a dropped stream, not an image).
 */
export type ChutesErrorCode =
  | 'unauthorized'
  | 'no_balance'
  | 'model_not_found'
  | 'overloaded'
  | 'bad_request'
  | 'prompt_rejected'
  | 'server_error'
  | 'network'
  | 'timeout'
  | 'bad_response';

const RETRYABLE_BY_DEFAULT: ReadonlySet<ChutesErrorCode> = new Set([
  'overloaded',
  'server_error',
  'network',
  'timeout',
]);

export interface ChutesErrorOptions {
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** How long Chutes asked us to wait (the `Retry-After` header), in milliseconds. */
  retryAfterMs?: number;
  /** Overrides the default for the code (a dropped stream is a retryable `bad_response`). */
  retryable?: boolean;
  cause?: unknown;
}

/**
 * A failed Chutes call. The client never retries by itself: the queue reads `retryable` and
 * `retryAfterMs` and decides. The message is for operators and never holds the API key.
 */
export class ChutesError extends BotError {
  declare readonly code: ChutesErrorCode;
  readonly status?: number;

  constructor(code: ChutesErrorCode, message: string, options: ChutesErrorOptions = {}) {
    super(code, message, {
      cause: options.cause,
      retryable: options.retryable ?? RETRYABLE_BY_DEFAULT.has(code),
      retryAfterMs: options.retryAfterMs,
    });
    if (options.status !== undefined) this.status = options.status;
  }
}

export function isChutesError(value: unknown): value is ChutesError {
  return value instanceof ChutesError;
}
