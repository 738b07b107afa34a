import { ChutesError } from './errors.js';

/** Which phase a request was in when it failed: decides network vs dropped stream. */
export type Phase = 'connect' | 'body';

/**
 * One request's cancellation: the caller's signal plus our own timers, merged into one signal
 * for fetch. Remembers why it aborted so the failure can be told apart afterwards.
 */
export class AbortScope {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOutWith: string | undefined;
  private readonly onOuterAbort = (): void => this.controller.abort(this.outer?.reason);

  constructor(private readonly outer?: AbortSignal) {
    if (outer?.aborted) this.controller.abort(outer.reason);
    else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts (or restarts) the timer; `what` names the limit in the timeout message. */
  arm(ms: number, what: string): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timedOutWith = what;
      this.controller.abort(new ChutesError('timeout', what));
    }, ms);
  }

  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.disarm();
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }

  /**
   * Turns whatever fetch or a body read threw into a ChutesError, except the caller's own
   * abort, returned as is: a cancelled job is not a Chutes failure. `operation` names what was
   * being done, for the message.
   */
  toError(err: unknown, phase: Phase, operation: string): unknown {
    if (this.outer?.aborted) return this.outer.reason;
    if (this.timedOutWith !== undefined) {
      return new ChutesError(
        'timeout',
        `${operation} timed out: ${this.timedOutWith}. Retry later.`,
        {
          cause: err,
        },
      );
    }
    if (err instanceof ChutesError) return err;
    const reason = describeCause(err);
    if (phase === 'connect') {
      return new ChutesError(
        'network',
        `${operation} could not reach Chutes (${reason}); check CHUTES_BASE_URL / CHUTES_IMAGE_URL and the network.`,
        { cause: err },
      );
    }
    return new ChutesError(
      'bad_response',
      `${operation}: the connection to Chutes dropped mid-answer (${reason}); retry.`,
      { cause: err, retryable: true },
    );
  }
}

/** The most specific reason undici gives (ECONNREFUSED, "other side closed"…). */
function describeCause(err: unknown): string {
  const seen: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    seen.push(typeof code === 'string' ? `${code} ${current.message}` : current.message);
    current = current.cause;
  }
  return seen.length > 0 ? seen.join(' ← ') : String(err);
}
