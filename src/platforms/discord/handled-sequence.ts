/**
 * The sequence a Discord gateway session may be resumed from by another
 * process: that of the last dispatch whose handling is complete, with every
 * dispatch before it complete too. A question still being turned into a job
 * holds it back, so a resume elsewhere replays that question rather than
 * losing it (the producer's idempotent enqueue makes the replay harmless).
 */
export class HandledSequence {
  /** Dispatches received whose handling has not finished, by sequence. */
  private readonly pending = new Set<number>();
  private latest: number;

  /** `start`: the session's sequence when it was opened or resumed (all before it handled). */
  constructor(start: number) {
    this.latest = start;
  }

  /**
   * A dispatch arrived; its handling ends when `handling` settles (at once
   * when there is none). Sequences arrive in increasing order.
   */
  track(sequence: number, handling?: Promise<unknown>): void {
    if (sequence > this.latest) this.latest = sequence;
    if (!handling) return;
    this.pending.add(sequence);
    const done = () => void this.pending.delete(sequence);
    handling.then(done, done);
  }

  /** Every dispatch up to this sequence is handled. */
  get handled(): number {
    let lowest = Infinity;
    for (const sequence of this.pending) if (sequence < lowest) lowest = sequence;
    return lowest === Infinity ? this.latest : lowest - 1;
  }

  /** Dispatches still being handled. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once nothing received so far is still being handled (or `ms` has passed). */
  async settled(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.pending.size > 0 && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
