/**
 * Jobs of one conversation run one at a time, in arrival order, across every
 * worker: each conversation keeps a line of its job ids, and only the job at
 * the head may run. A head whose job finished or never made it into the
 * queue is dropped, so a crash cannot block a conversation for good.
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

/** The atomic steps on conversations' lines that ConversationOrder is built from. */
export interface ConversationLines {
  /** Appends a job, unless its id was registered before (then false). */
  register(conversationKey: string, jobId: string): Promise<boolean>;
  /**
   * true when the job is first in line; else the head. A job missing from
   * the line (its mark expired, the line was lost) queues up again at the
   * tail in the same step, so two such jobs cannot both see an empty line.
   */
  take(conversationKey: string, jobId: string): Promise<true | string>;
  /** Drops the head only if it is still `jobId`. */
  dropHead(conversationKey: string, jobId: string): Promise<void>;
  /** Removes a job from its line; returns the new head, if any. */
  remove(conversationKey: string, jobId: string): Promise<string | undefined>;
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
   * Appends a job to its conversation; false when this job id was registered
   * before. Registrations of one conversation are sent one after another, so
   * the line keeps the order of arrival even when a store spreads calls over
   * several connections (a Postgres pool).
   */
  register(conversationKey: string, jobId: string): Promise<boolean> {
    const before = this.registering.get(conversationKey);
    const mine = (before ?? Promise.resolve(true))
      .catch(() => false)
      .then(() => this.lines.register(conversationKey, jobId));
    this.registering.set(conversationKey, mine);
    const forget = () => {
      if (this.registering.get(conversationKey) === mine) this.registering.delete(conversationKey);
    };
    mine.then(forget, forget);
    return mine;
  }

  /** Whether `jobId` may run now. Stale heads are dropped on the way. */
  async isTurn(conversationKey: string, jobId: string, stateOf: JobStateLookup): Promise<boolean> {
    for (;;) {
      const head = await this.lines.take(conversationKey, jobId);
      if (head === true) return true;
      if (!(await this.isStale(head, stateOf))) return false;
      await this.lines.dropHead(conversationKey, head);
    }
  }

  /** Takes back a registration whose job never reached the queue, so a redelivery is not dropped. */
  async unregister(conversationKey: string, jobId: string): Promise<void> {
    await this.lines.remove(conversationKey, jobId);
    await this.lines.forget(jobId);
  }

  /** Removes a finished job; returns the job whose turn it is now, if any. */
  release(conversationKey: string, jobId: string): Promise<string | undefined> {
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

/** Lines as Redis lists, each step one script (lua/conversation-*.lua). */
export class RedisLines implements ConversationLines {
  private readonly scripts: RedisScripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.scripts = new RedisScripts(redis);
  }

  async register(conversationKey: string, jobId: string): Promise<boolean> {
    const added = await this.scripts.run(
      'conversation-register',
      [this.listKey(conversationKey), this.memberKey(jobId)],
      [jobId, Date.now(), MEMBER_TTL_MS],
    );
    return added === 1;
  }

  async take(conversationKey: string, jobId: string): Promise<true | string> {
    const head = await this.scripts.run(
      'conversation-take-turn',
      [this.listKey(conversationKey)],
      [jobId],
    );
    return head === 1 ? true : String(head);
  }

  async dropHead(conversationKey: string, jobId: string): Promise<void> {
    await this.scripts.run('conversation-drop-head', [this.listKey(conversationKey)], [jobId]);
  }

  async remove(conversationKey: string, jobId: string): Promise<string | undefined> {
    const next = await this.scripts.run(
      'conversation-remove',
      [this.listKey(conversationKey)],
      [jobId],
    );
    return typeof next === 'string' ? next : undefined;
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

  private memberKey(jobId: string): string {
    return `${this.prefix}:conv-member:${jobId}`;
  }
}
