import { ChutesError } from '../chutes/errors.js';
import { BotError } from '../errors.js';
import { SurfaceError } from './surface.js';

/**
 * How a job attempt ended badly, in queue-neutral terms: the queue wiring turns
 * a non-retryable one into a failure that is never retried, and honours
 * `retryAfterMs` for the others.
 */
export class JobError extends BotError {
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(
    code: string,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface FailureClass {
  readonly code: string;
  /** No retry follows: tell the user and record the outcome. */
  readonly final: boolean;
  readonly retryAfterMs?: number;
}

/**
 * Sorts an attempt's failure: Chutes says whether its errors are worth
 * another try; a permanent platform error is not; anything unknown (a store
 * briefly away) is.
 */
export function classifyFailure(error: unknown, finalAttempt: boolean): FailureClass {
  if (error instanceof ChutesError) {
    return {
      code: error.code,
      final: finalAttempt || !error.retryable,
      retryAfterMs: error.retryAfterMs,
    };
  }
  if (error instanceof SurfaceError)
    return { code: error.code, final: finalAttempt || error.permanent };
  if (error instanceof JobError) {
    return {
      code: error.code,
      final: finalAttempt || !error.retryable,
      retryAfterMs: error.retryAfterMs,
    };
  }
  return { code: 'internal', final: finalAttempt };
}

/** The error an attempt ends with, for the queue to retry or to fail for good. */
export function toJobError(error: unknown, failure: FailureClass): JobError {
  const message = error instanceof Error ? error.message : String(error);
  return new JobError(failure.code, message, {
    retryable: !failure.final,
    retryAfterMs: failure.retryAfterMs,
    cause: error,
  });
}
