/**
 * Start-up that waits for its stores. A store that cannot be reached
 * (connection refused or reset, cut mid-handshake, nothing answering) is said
 * once, `waiting for <store>`, and tried again with a capped backoff until it
 * answers, then `<store> reached`; `/healthz` names what start-up waits for
 * meanwhile. Any other error (bad credentials, a database that does not
 * exist) stops start-up at once: a configuration mistake is not waited out.
 */
import { abortable } from './core/abortable.js';
import { isUnreachable } from './core/job-error.js';

/** First wait between tries, doubled up to the longest. */
export const WAIT_FIRST_MS = 500;
export const WAIT_LONGEST_MS = 5_000;

export interface StoreWaitsLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export class StoreWaits {
  /** Store → why it cannot be reached, for the stores start-up waits for now. */
  private readonly waiting = new Map<string, string>();

  constructor(
    private readonly log: StoreWaitsLog,
    private readonly signal?: AbortSignal,
    private readonly backoff = { firstMs: WAIT_FIRST_MS, longestMs: WAIT_LONGEST_MS },
  ) {}

  /** The stores start-up waits for now, each with the latest reason. */
  get pending(): ReadonlyMap<string, string> {
    return this.waiting;
  }

  /**
   * Runs `attempt` until it succeeds. While it fails because `store` cannot
   * be reached, says so (once), and tries again after a wait that doubles up
   * to the longest; any other failure, or the signal, ends the wait with it.
   */
  async until<T>(store: string, attempt: () => Promise<T>): Promise<T> {
    let delayMs = this.backoff.firstMs;
    let since: number | undefined;
    for (;;) {
      this.signal?.throwIfAborted();
      try {
        const result = await abortable(attempt(), this.signal);
        if (since !== undefined) {
          this.waiting.delete(store);
          this.log.info({ store, waitedMs: Date.now() - since }, `${store} reached`);
        }
        return result;
      } catch (error) {
        if (this.signal?.aborted || !isUnreachable(error)) {
          this.waiting.delete(store);
          throw error;
        }
        const reason = describe(error);
        if (since === undefined) {
          since = Date.now();
          this.log.warn({ store, reason }, `waiting for ${store}`);
        }
        this.waiting.set(store, reason);
        await sleep(delayMs, this.signal);
        delayMs = Math.min(delayMs * 2, this.backoff.longestMs);
      }
    }
  }
}

/** An error's own words: Node's connection errors may have an empty message and only a code. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  if (error.message) return error.message;
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  return typeof code === 'string' ? code : error.name;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
