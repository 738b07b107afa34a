/**
 * How a Stop pressed anywhere reaches the worker streaming the answer: the
 * press is recorded in the store (Postgres, which every topology has), and
 * each process that streams answers looks, a few times a second and in one
 * query for all of them, whether any of its answers was asked to stop. The
 * worker handling the press is usually not the one streaming; a press
 * recorded before the answer started, or before a restart, still counts.
 */
export interface StopStore {
  /** Records that an answer is to stop; true when it was not recorded before. */
  request(answerId: string, byUserId: string): Promise<boolean>;
  /** Which of these answers were asked to stop. */
  stoppedAmong(answerIds: readonly string[]): Promise<ReadonlySet<string>>;
}

/** Why a model call ended when its answer was stopped with the button. */
export class StopRequested extends Error {
  constructor() {
    super('the answer was stopped with its button');
    this.name = 'StopRequested';
  }
}

/** One answer watched: its signal aborts (with StopRequested) when someone stops it. */
export interface Watched {
  readonly signal: AbortSignal;
  close(): void;
}

/** Looks this often: a Stop ends the model call within a second. */
export const STOP_POLL_MS = 300;

export class StopWatch {
  private readonly watched = new Map<string, Set<AbortController>>();
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly store: Pick<StopStore, 'stoppedAmong'>,
    private readonly log: { warn(details: object, message: string): void },
    private readonly intervalMs = STOP_POLL_MS,
  ) {}

  watch(answerId: string): Watched {
    const controller = new AbortController();
    let set = this.watched.get(answerId);
    if (!set) this.watched.set(answerId, (set = new Set()));
    set.add(controller);
    this.timer ??= setInterval(() => void this.look(), this.intervalMs);
    // A press recorded before the answer started counts at once.
    void this.look([answerId]);
    return {
      signal: controller.signal,
      close: () => {
        const current = this.watched.get(answerId);
        current?.delete(controller);
        if (current?.size === 0) this.watched.delete(answerId);
        if (this.watched.size === 0) this.stop();
      },
    };
  }

  /** Stops looking (the process shuts down). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async look(ids: readonly string[] = [...this.watched.keys()]): Promise<void> {
    if (ids.length === 0) return;
    let stopped: ReadonlySet<string>;
    try {
      stopped = await this.store.stoppedAmong(ids);
      this.failing = false;
    } catch (error) {
      // The database away: one line until it answers again; the answers go on.
      if (!this.failing) this.log.warn({ err: error }, 'could not look for stopped answers');
      this.failing = true;
      return;
    }
    for (const id of stopped) {
      for (const controller of this.watched.get(id) ?? []) controller.abort(new StopRequested());
    }
  }
}
