/**
 * The lease loop shared by the Redis and Postgres shard coordination: every
 * tick a process renews its membership and the leases it holds, works out its
 * fair share (ceil(shards / live processes)), claims free or expired leases
 * up to it (lowest ids first) and gives back those above it (the handler's
 * release first, then the lease, so the next owner resumes the stored
 * session). The stores only answer the few atomic questions of
 * `ShardLeaseStore`, with their own clock for expiry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ShardCoordination,
  ShardHandlers,
  ShardMembership,
  JoinOptions,
} from '../core/shard-coordination.js';

/** The timings of the leases, the identify gate and stored sessions; tests shorten them. */
export interface ShardTimings {
  /** How long a lease or a membership lives without renewal. */
  readonly leaseTtlMs: number;
  /** How often a process renews and rebalances. */
  readonly tickMs: number;
  /** One session start per identify bucket per this long. */
  readonly identifySpacingMs: number;
  /** How long a stored session is kept after its last put. */
  readonly sessionTtlMs: number;
}

export const DEFAULT_SHARD_TIMINGS: ShardTimings = {
  leaseTtlMs: 10_000,
  tickMs: 2_000,
  identifySpacingMs: 5_000,
  // Discord forgets a session a few minutes after its connection closed.
  sessionTtlMs: 300_000,
};

export interface ShardStoreOptions {
  readonly timings?: Partial<ShardTimings>;
  /**
   * An error with one sentence saying what failed: a store error once when an
   * outage of the shard loop starts (not on every tick), a handler's failure.
   */
  readonly onError?: ShardErrorReport;
}

export function shardTimings(options: ShardStoreOptions = {}): ShardTimings {
  return { ...DEFAULT_SHARD_TIMINGS, ...options.timings };
}

export type ShardErrorReport = (error: unknown, message: string) => void;

/** What one tick learns from the store. */
export interface TickAnswer {
  /** Live processes sharing this shard count, this one included. */
  readonly members: number;
  /** Which of the leases this process asked to renew it still held (and renewed). */
  readonly renewed: readonly number[];
  /** Shards whose lease is free or expired, ascending. */
  readonly free: readonly number[];
}

/** The atomic steps a store offers the lease loop; each uses the store's clock. */
export interface ShardLeaseStore {
  /**
   * Renews `owner`'s membership and those of `held` still leased to it (a
   * lease of `owner` not in `held`, left by a step that failed, expires).
   */
  tick(
    owner: string,
    shardCount: number,
    held: readonly number[],
    ttlMs: number,
  ): Promise<TickAnswer>;
  /** Takes a free or expired lease; false when another holds it. */
  claim(owner: string, shardCount: number, shardId: number, ttlMs: number): Promise<boolean>;
  /** Deletes the lease if `owner` still holds it. */
  release(owner: string, shardCount: number, shardId: number): Promise<void>;
  /** Removes `owner`'s membership. */
  leave(owner: string, shardCount: number): Promise<void>;
}

/** `work`, or a rejection once `ms` passed: a store that does not answer at all counts as unreachable. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The join half of a ShardCoordination, on a lease store. */
export function joinShards(
  store: ShardLeaseStore,
  timings: ShardTimings,
  onError: ShardErrorReport,
): ShardCoordination['join'] {
  return async (options) => {
    const membership = new LeaseMembership(store, timings, onError, options);
    await membership.start();
    return membership;
  };
}

export class LeaseMembership implements ShardMembership {
  /** Shards whose lease this process holds and whose handler ran (or runs) acquire. */
  private readonly held = new Set<number>();
  /** Shards between claim and acquire's end, or between release and the lease's deletion. */
  private readonly moving = new Set<number>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private rebalancing?: Promise<void>;
  private renewing = false;
  private failing = false;
  private readonly owner: string;
  private readonly shardCount: number;
  private readonly handlers: ShardHandlers;

  constructor(
    private readonly store: ShardLeaseStore,
    private readonly timings: ShardTimings,
    private readonly onError: ShardErrorReport,
    options: JoinOptions,
  ) {
    if (!Number.isInteger(options.shardCount) || options.shardCount < 1) {
      throw new Error(
        `The shard count must be a whole number of at least 1, not ${options.shardCount}.`,
      );
    }
    this.owner = options.owner;
    this.shardCount = options.shardCount;
    this.handlers = options.handlers;
  }

  get shards(): readonly number[] {
    return [...this.held].sort((a, b) => a - b);
  }

  /** Registers the membership (a store that cannot be reached fails the join), then ticks. */
  async start(): Promise<void> {
    await within(
      this.store.tick(this.owner, this.shardCount, [], this.timings.leaseTtlMs),
      this.timings.leaseTtlMs,
    );
    // The first claims wait a tick: processes started together see each
    // other by then and split the shards without one taking all first.
    this.schedule();
  }

  async leave(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.rebalancing?.catch(() => undefined);
    for (const shardId of this.shards) await this.giveBack(shardId);
    await within(this.store.leave(this.owner, this.shardCount), this.timings.leaseTtlMs).catch(
      (error) => this.failed(error),
    );
  }

  /**
   * Stops ticking without releasing anything, as a killed process would: its
   * leases expire in the store. For tests.
   */
  halt(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.schedule();
      void this.onTick();
    }, this.timings.tickMs);
    this.timer.unref();
  }

  /**
   * Renews on every tick, even while a rebalance is still waiting for a
   * handler (an acquire may take long); rebalances when none is under way.
   */
  private async onTick(): Promise<void> {
    if (this.stopped) return;
    if (this.rebalancing) {
      await this.renew();
      return;
    }
    this.rebalancing = this.rebalance().finally(() => (this.rebalancing = undefined));
    await this.rebalancing;
  }

  /**
   * One renewal; the answer, or undefined when the store could not be
   * reached. Shards it gives up (lost to another owner) are released locally
   * after the renewal, so that a slow handler never holds up the next one.
   */
  private async renew(): Promise<TickAnswer | undefined> {
    if (this.renewing || this.stopped) return undefined;
    this.renewing = true;
    const asked = [...this.held, ...this.moving];
    let dropped: number[] = [];
    try {
      const answer = await within(
        this.store.tick(this.owner, this.shardCount, asked, this.timings.leaseTtlMs),
        this.timings.leaseTtlMs,
      );
      this.failing = false;
      const renewed = new Set(answer.renewed);
      // Lost to another owner (or expired): stop locally, leave the lease alone.
      dropped = asked.filter((id) => !renewed.has(id) && this.held.has(id) && !this.moving.has(id));
      return answer;
    } catch (error) {
      // The shards stay connected while the store is away: their questions go
      // to the outbox as before, and nobody else can take a lease meanwhile
      // unless only this process lost the store. Then both run the shard
      // until the next renewal here finds the lease gone (Discord allows two
      // sessions on a shard; a question has one job, keyed by its message id).
      this.failed(error);
      return undefined;
    } finally {
      this.renewing = false;
      for (const id of dropped) this.held.delete(id);
      for (const id of dropped) await this.handle('release', id);
    }
  }

  private async rebalance(): Promise<void> {
    const answer = await this.renew();
    if (!answer || this.stopped) return;
    const share = Math.ceil(this.shardCount / Math.max(1, answer.members));
    if (this.held.size > share) {
      // The highest ids go back, so that the lowest stay where they are.
      for (const shardId of this.shards.slice(share)) await this.giveBack(shardId);
      return;
    }
    for (const shardId of answer.free) {
      if (this.held.size >= share || this.stopped) break;
      if (this.held.has(shardId)) continue;
      await this.take(shardId);
    }
  }

  private async take(shardId: number): Promise<void> {
    this.moving.add(shardId);
    try {
      const won = await within(
        this.store.claim(this.owner, this.shardCount, shardId, this.timings.leaseTtlMs),
        this.timings.leaseTtlMs,
      );
      if (!won) return;
      this.held.add(shardId);
      try {
        await this.handlers.acquire(shardId);
      } catch (error) {
        // Another process may manage where this one failed.
        this.onError(error, `shard ${shardId} could not be acquired; its lease is given back`);
        this.held.delete(shardId);
        await within(
          this.store.release(this.owner, this.shardCount, shardId),
          this.timings.leaseTtlMs,
        );
      }
    } catch (error) {
      this.failed(error);
    } finally {
      this.moving.delete(shardId);
    }
  }

  /** The handler's release first, then the lease: the next owner finds the session stored. */
  private async giveBack(shardId: number): Promise<void> {
    if (!this.held.has(shardId)) return;
    this.moving.add(shardId);
    try {
      await this.handle('release', shardId);
      this.held.delete(shardId);
      await within(
        this.store.release(this.owner, this.shardCount, shardId),
        this.timings.leaseTtlMs,
      ).catch((error) => this.failed(error));
    } finally {
      this.moving.delete(shardId);
    }
  }

  private async handle(what: 'release', shardId: number): Promise<void> {
    try {
      await this.handlers[what](shardId);
    } catch (error) {
      this.onError(error, `shard ${shardId} release failed`);
    }
  }

  /** A store error: reported once per outage. */
  private failed(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.onError(
      error,
      'shard store unreachable: the shards held stay connected; leases are renewed when it is back',
    );
  }
}

/**
 * The identify gate's wait on a store: `tryStart` takes the bucket's start
 * (0) or tells how long until it may (ms); tried again after that, until it
 * is this caller's turn or `signal` aborts.
 */
export async function waitForTurn(
  tryStart: () => Promise<number>,
  signal?: AbortSignal,
): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const wait = await tryStart();
    if (wait <= 0) return;
    await sleep(Math.max(10, wait), undefined, { signal });
  }
}

/** The identify bucket of a shard: Discord's `shard_id % max_concurrency`. */
export function identifyBucket(shardId: number, maxConcurrency: number): number {
  return shardId % Math.max(1, Math.floor(maxConcurrency));
}
