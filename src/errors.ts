/**
 * The one error family of the service. `code` is what callers branch on and
 * what the sentence users read is looked up by (core/user-messages.ts);
 * `retryable` says whether another try (the same call later, or the job's
 * next attempt) may succeed, `retryAfterMs` when, where the failure said so;
 * `message` says what happened and what to do, for operators.
 */
export interface BotErrorOptions {
  readonly cause?: unknown;
  /** Default false: a failure is final unless its kind says otherwise. */
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;
}

export class BotError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(code: string, message: string, options: BotErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A credential that Discord, Slack or Chutes refused. Its message is the one
 * line an operator needs: the variable, what refused it, and how to fix it;
 * start-up stops with it alone (no stack, no client dumps).
 */
export class CredentialError extends BotError {
  /** The environment variable to fix: `DISCORD_TOKEN`, `SLACK_APP_TOKEN`, … */
  readonly variable: string;

  constructor(variable: string, message: string, options: BotErrorOptions = {}) {
    super('credentials', message, options);
    this.variable = variable;
  }
}
