/**
 * The one error base of the service. `code` is what callers branch on and what
 * user-facing text is looked up by; `message` says what to do, for operators.
 */
export class BotError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
