/**
 * How gateway processes share a platform's numbered gateway sessions
 * (Discord's shards): each process holds some through leases in the queue's
 * store, a dead process's leases expire and others take them, a session's
 * resume state outlives its process, and session starts (identify) are
 * spaced across all processes. Platform-neutral: the Discord gateway is its
 * user; the queue's store (Redis, or Postgres alone) implements it.
 */

/** What a gateway needs to resume a session elsewhere: Discord's session id, last sequence and resume URL. */
export interface GatewaySessionInfo {
  readonly sessionId: string;
  /** The sequence of the last dispatch whose handling is complete (a resume replays what follows). */
  readonly sequence: number;
  readonly resumeUrl: string;
  /** The shard count the session was started with; a session of another count is not resumed. */
  readonly shardCount: number;
}

/** Told by the coordination when this process gains or must give up a shard. */
export interface ShardHandlers {
  /** The lease is this process's now: connect the shard (resuming its stored session if any). */
  acquire(shardId: number): Promise<void>;
  /**
   * The shard goes to another process (rebalance, leave) or its lease was lost:
   * store its session and close it so that it stays resumable. The lease is
   * released only after this settles (for a lost lease it may already be gone).
   */
  release(shardId: number): Promise<void>;
}

export interface ShardMembership {
  /** The shards this process holds now. */
  readonly shards: readonly number[];
  /** Releases every shard (calling `release` for each), then leaves. */
  leave(): Promise<void>;
}

export interface JoinOptions {
  /** Unique per process (e.g. host:pid:random). */
  readonly owner: string;
  /** The shard count every process uses; a process with another count is a configuration error. */
  readonly shardCount: number;
  readonly handlers: ShardHandlers;
}

export interface GatewaySessions {
  get(shardId: number, shardCount: number): Promise<GatewaySessionInfo | undefined>;
  put(shardId: number, info: GatewaySessionInfo): Promise<void>;
  remove(shardId: number): Promise<void>;
}

export interface IdentifyGate {
  /**
   * Waits until this shard may start a new session: one start per bucket
   * (`shardId % maxConcurrency`) per 5 s, across every process.
   */
  wait(shardId: number, maxConcurrency: number, signal?: AbortSignal): Promise<void>;
}

export interface ShardCoordination {
  /**
   * Joins the processes sharing `shardCount` shards: this process claims free
   * or expired leases up to its fair share (ceil(shards / live processes)),
   * gives back any above it, renews what it holds, and takes over a dead
   * process's shards within 15 s of its last renewal.
   */
  join(options: JoinOptions): Promise<ShardMembership>;
  readonly sessions: GatewaySessions;
  readonly identify: IdentifyGate;
}
