/**
 * Jobs of one conversation run in arrival order, across every worker: each
 * conversation keeps a line of its job ids. A job without a lane (a thread's
 * or a DM's question, /forget) waits for every job before it; a job in a lane
 * (a shared channel's question, in its author's lane) waits only for the
 * earlier jobs of its lane and the earlier jobs without one. A strict
 * conversation, whose jobs have no lane, thus runs one job at a time, head
 * first. A job in the way that finished or never made it into the queue is
 * dropped, so a crash cannot block a conversation for good.
 *
 * The rules live here; the line itself is kept by a store, on Redis
 * (RedisLines, below) or on Postgres (PgLines in pg-coordination.ts), each
 * atomic across processes.
 */
import type { Redis } from 'ioredis';
import { RedisScripts } from './redis-scripts.js';

/** A listed job that the queue does not know yet may still be on its way in. */
const UNKNOWN_GRACE_MS = 30_000;
/** How long the "already registered" mark of a job id lives (deduplicates redeliveries). */
export const MEMBER_TTL_MS = 3 * 24 * 3600 * 1000;

/**
 * The lane a job waits in within its conversation's line: undefined for none
 * (the job waits for everything before it), else a name (a shared channel's
 * question: its author's id).
 */
export type Lane = string | undefined;

/** The atomic steps on conversations' lines that ConversationOrder is built from. */
export interface ConversationLines {
  /** Appends a job in its lane, unless its id was registered before (then false). */
  register(conversationKey: string, jobId: string, lane: Lane): Promise<boolean>;
  /**
   * true when nothing before the job is in its way (see the top of this
   * file); else the first job that is. A job missing from the line (its mark
   * expired, the line was lost) queues up again at the tail in the same
   * step, so two such jobs cannot both see an empty line.
   */
  take(conversationKey: string, jobId: string, lane: Lane): Promise<true | string>;
  /**
   * Removes a job from its line; returns the jobs it was in the way of that
   * may run now (those nothing else holds back), in line order.
   */
  remove(conversationKey: string, jobId: string): Promise<string[]>;
  /** Forgets that a job id was registered, so that it can register again. */
  forget(jobId: string): Promise<void>;
  /** When a job id was registered (ms since the epoch), if it still is. */
  registeredAt(jobId: string): Promise<number | undefined>;
}

export type JobStateLookup = (jobId: string) => Promise<string>;

export class ConversationOrder {
  /** The last registration under way per conversation, in this process. */
  private readonly registering = new Map<string, Promise<boolean>>();

  constructor(private readonly lines: ConversationLines) {}

  /**
   * Appends a job to its conversation, in its lane; false when this job id
   * was registered before. Registrations of one conversation are sent one
   * after another, so the line keeps the order of arrival even when a store
   * spreads calls over several connections (a Postgres pool).
   */
  register(conversationKey: string, jobId: string, lane?: Lane): Promise<boolean> {
    const before = this.registering.get(conversationKey);
    const mine = (before ?? Promise.resolve(true))
      .catch(() => false)
      .then(() => this.lines.register(conversationKey, jobId, lane));
    this.registering.set(conversationKey, mine);
    const forget = () => {
      if (this.registering.get(conversationKey) === mine) this.registering.delete(conversationKey);
    };
    mine.then(forget, forget);
    return mine;
  }

  /** Whether `jobId` may run now. Stale jobs in its way are dropped on the way. */
  async isTurn(
    conversationKey: string,
    jobId: string,
    stateOf: JobStateLookup,
    lane?: Lane,
  ): Promise<boolean> {
    for (;;) {
      const before = await this.lines.take(conversationKey, jobId, lane);
      if (before === true) return true;
      if (!(await this.isStale(before, stateOf))) return false;
      await this.lines.remove(conversationKey, before);
    }
  }

  /** Takes back a registration whose job never reached the queue, so a redelivery is not dropped. */
  async unregister(conversationKey: string, jobId: string): Promise<void> {
    await this.lines.remove(conversationKey, jobId);
    await this.lines.forget(jobId);
  }

  /** Removes a finished job; returns the jobs whose turn it is now because it left. */
  release(conversationKey: string, jobId: string): Promise<string[]> {
    return this.lines.remove(conversationKey, jobId);
  }

  private async isStale(head: string, stateOf: JobStateLookup): Promise<boolean> {
    const state = await stateOf(head);
    if (state === 'completed' || state === 'failed') return true;
    if (state !== 'unknown') return false;
    const registeredAt = await this.lines.registeredAt(head);
    return !registeredAt || Date.now() - registeredAt > UNKNOWN_GRACE_MS;
  }
}

/**
 * Lines as Redis lists, with the lanes of the jobs that have one in a hash
 * beside each; each step one script (lua/conversation-*.lua).
 */
export class RedisLines implements ConversationLines {
  private readonly scripts: RedisScripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.scripts = new RedisScripts(redis);
  }

  async register(conversationKey: string, jobId: string, lane: Lane): Promise<boolean> {
    const added = await this.scripts.run(
      'conversation-register',
      [this.listKey(conversationKey), this.memberKey(jobId), this.lanesKey(conversationKey)],
      [jobId, Date.now(), MEMBER_TTL_MS, lane ?? ''],
    );
    return added === 1;
  }

  async take(conversationKey: string, jobId: string, lane: Lane): Promise<true | string> {
    const before = await this.scripts.run(
      'conversation-take-turn',
      [this.listKey(conversationKey), this.lanesKey(conversationKey)],
      [jobId, lane ?? ''],
    );
    return before === 1 ? true : String(before);
  }

  async remove(conversationKey: string, jobId: string): Promise<string[]> {
    const woken = await this.scripts.run(
      'conversation-remove',
      [this.listKey(conversationKey), this.lanesKey(conversationKey)],
      [jobId],
    );
    return Array.isArray(woken) ? woken.map(String) : [];
  }

  async forget(jobId: string): Promise<void> {
    await this.redis.del(this.memberKey(jobId));
  }

  async registeredAt(jobId: string): Promise<number | undefined> {
    const at = Number(await this.redis.get(this.memberKey(jobId)));
    return at || undefined;
  }

  private listKey(conversationKey: string): string {
    return `${this.prefix}:conv:${conversationKey}`;
  }

  private lanesKey(conversationKey: string): string {
    return `${this.prefix}:conv-lanes:${conversationKey}`;
  }

  private memberKey(jobId: string): string {
    return `${this.prefix}:conv-member:${jobId}`;
  }
}
