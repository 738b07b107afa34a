/**
 * One store's outages in the log: the first "cannot be reached" error starts
 * an outage, logged once (`<store> unreachable`, with that error); the errors
 * of the same kind that follow while it lasts are counted, not logged; once
 * the store answers again (probed every second) and its errors have stopped,
 * one line says so (`<store> reachable again`) with how long it lasted and
 * how many errors it swallowed. A long outage is recalled once a minute.
 * Errors of any other kind are not its business: the caller logs them.
 */
import { isUnreachable } from './core/job-error.js';

const PROBE_MS = 1_000;
/** The store must have been quiet this long before the outage is over: connections reconnect one by one. */
const QUIET_MS = 2_000;
const REMIND_MS = 60_000;
/** A probe that hangs (nothing answering at all) counts as no answer. */
const PROBE_TIMEOUT_MS = 5_000;

export interface OutageLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export class OutageLog {
  private since?: number;
  private lastErrorAt = 0;
  private lastRemindedAt = 0;
  private errors = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly store: string,
    private readonly log: OutageLogger,
    /** Resolves when the store answers. */
    private readonly probe: () => Promise<void>,
    private readonly timing = { probeMs: PROBE_MS, quietMs: QUIET_MS, remindMs: REMIND_MS },
  ) {}

  /** Whether an outage is under way. */
  get active(): boolean {
    return this.since !== undefined;
  }

  /**
   * Takes `error` when it says the store cannot be reached: the first of an
   * outage is logged, the rest counted. Returns false for any other error,
   * which the caller logs as it would have.
   */
  absorb(error: unknown, source?: string): boolean {
    if (!isUnreachable(error)) return false;
    const now = Date.now();
    this.errors++;
    this.lastErrorAt = now;
    if (this.since === undefined && !this.closed) {
      this.since = now;
      this.lastRemindedAt = now;
      this.log.warn({ store: this.store, err: error, source }, `${this.store} unreachable`);
      this.schedule();
    }
    return true;
  }

  /** Stops probing (at shutdown). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.check(), this.timing.probeMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const since = this.since;
    if (since === undefined || this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      this.probe().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
    const now = Date.now();
    if (answered && now - this.lastErrorAt >= this.timing.quietMs) {
      this.log.info(
        { store: this.store, outageMs: now - since, errors: this.errors },
        `${this.store} reachable again`,
      );
      this.since = undefined;
      this.errors = 0;
      return;
    }
    if (now - this.lastRemindedAt >= this.timing.remindMs) {
      this.lastRemindedAt = now;
      this.log.warn(
        { store: this.store, outageMs: now - since, errors: this.errors },
        `${this.store} still unreachable`,
      );
    }
    this.schedule();
  }
}
