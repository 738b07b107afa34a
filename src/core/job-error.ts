import { BotError } from '../errors.js';

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
