/**
 * Jobs of one conversation run one at a time, in arrival order, across every
 * worker: each conversation keeps a Redis list of its job ids, and only the
 * job at the head may run. A head whose job finished or never made it into
 * the queue is dropped, so a crash cannot block a conversation for good.
 */
import type { Redis } from 'ioredis';

/** A listed job that the queue does not know yet may still be on its way in. */
const UNKNOWN_GRACE_MS = 30_000;
/** How long the "already registered" mark of a job id lives (deduplicates redeliveries). */
const MEMBER_TTL_S = 3 * 24 * 3600;

const REGISTER = `
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3]) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  return 1
end
return 0`;

// 1 when the job is first in line; else the head to look at. A job missing
// from the list (its mark expired, the list was lost) queues up again at the
// tail, in the same step, so two such jobs cannot both see an empty line.
const TAKE_TURN = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head == ARGV[1] then return 1 end
if not redis.call('LPOS', KEYS[1], ARGV[1]) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  if not head then return 1 end
end
return head`;

// Drops the head only if it is still the job we judged stale.
const DROP_HEAD = `
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then
  redis.call('LPOP', KEYS[1])
  return 1
end
return 0`;

const RELEASE = `
redis.call('LREM', KEYS[1], 1, ARGV[1])
return redis.call('LINDEX', KEYS[1], 0)`;

export type JobStateLookup = (jobId: string) => Promise<string>;

export class ConversationOrder {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Appends a job to its conversation; false when this job id was registered before. */
  async register(conversationKey: string, jobId: string): Promise<boolean> {
    const added = await this.redis.eval(
      REGISTER,
      2,
      this.listKey(conversationKey),
      this.memberKey(jobId),
      jobId,
      String(Date.now()),
      String(MEMBER_TTL_S),
    );
    return added === 1;
  }

  /** Whether `jobId` may run now. Stale heads are dropped on the way. */
  async isTurn(conversationKey: string, jobId: string, stateOf: JobStateLookup): Promise<boolean> {
    const list = this.listKey(conversationKey);
    for (;;) {
      const head = await this.redis.eval(TAKE_TURN, 1, list, jobId);
      if (head === 1) return true;
      if (typeof head !== 'string' || !(await this.isStale(head, stateOf))) return false;
      await this.redis.eval(DROP_HEAD, 1, list, head);
    }
  }

  /** Takes back a registration whose job never reached the queue, so a redelivery is not dropped. */
  async unregister(conversationKey: string, jobId: string): Promise<void> {
    await this.redis.lrem(this.listKey(conversationKey), 1, jobId);
    await this.redis.del(this.memberKey(jobId));
  }

  /** Removes a finished job; returns the job whose turn it is now, if any. */
  async release(conversationKey: string, jobId: string): Promise<string | undefined> {
    const next = await this.redis.eval(RELEASE, 1, this.listKey(conversationKey), jobId);
    return typeof next === 'string' ? next : undefined;
  }

  private async isStale(head: string, stateOf: JobStateLookup): Promise<boolean> {
    const state = await stateOf(head);
    if (state === 'completed' || state === 'failed') return true;
    if (state !== 'unknown') return false;
    const registeredAt = Number(await this.redis.get(this.memberKey(head)));
    return !registeredAt || Date.now() - registeredAt > UNKNOWN_GRACE_MS;
  }

  private listKey(conversationKey: string): string {
    return `${this.prefix}:conv:${conversationKey}`;
  }

  private memberKey(jobId: string): string {
    return `${this.prefix}:conv-member:${jobId}`;
  }
}
