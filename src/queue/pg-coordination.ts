/**
 * Conversation lines, the shared rate budget and learned rate limits on
 * Postgres, for deployments without Redis. Each step is one call of a
 * function from drizzle/0002_coordination.sql (the lines' lanes came with
 * *_parallel_channels.sql), atomic across processes, with the same rules as
 * the Redis scripts beside this file.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  usablePoints,
  type BudgetBucket,
  type BudgetPriority,
  type RateBudget,
} from '../core/rate-budget.js';
import { DEMAND_GRACE_MS, OWED_TTL_MS, RANK, WAITER_TTL_MS } from './budget-signals.js';
import { MEMBER_TTL_MS, type ConversationLines, type Lane } from './conversation-order.js';
import type { LearnedRulesStore } from './learned-rates.js';
import { budgetWindowMs, FLIGHT_HOLD_MS } from './rate-budget.js';

/** Buckets unused for this long are deleted (their windows are long past). */
const BUCKET_IDLE_MS = 3_600_000;
const SWEEP_EVERY_MS = 600_000;

export class PgLines implements ConversationLines {
  constructor(private readonly pool: pg.Pool) {}

  async register(conversationKey: string, jobId: string, lane: Lane): Promise<boolean> {
    const { rows } = await this.pool.query<{ added: boolean }>(
      'SELECT conversation_register($1, $2, $3, $4) AS added',
      [conversationKey, jobId, MEMBER_TTL_MS, lane ?? null],
    );
    return rows[0]!.added;
  }

  async take(conversationKey: string, jobId: string, lane: Lane): Promise<true | string> {
    const { rows } = await this.pool.query<{ before: string }>(
      'SELECT conversation_take($1, $2, $3) AS before',
      [conversationKey, jobId, lane ?? null],
    );
    const before = rows[0]!.before;
    return before === jobId ? true : before;
  }

  async remove(conversationKey: string, jobId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ woken: string[] }>(
      'SELECT conversation_leave($1, $2) AS woken',
      [conversationKey, jobId],
    );
    return rows[0]!.woken;
  }

  async forget(jobId: string): Promise<void> {
    await this.pool.query('DELETE FROM conversation_member WHERE job_id = $1', [jobId]);
  }

  async registeredAt(jobId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ at: string }>(
      'SELECT registered_at AS at FROM conversation_member WHERE job_id = $1 AND registered_at > chutes_now_ms() - $2',
      [jobId, MEMBER_TTL_MS],
    );
    return rows[0] ? Number(rows[0].at) : undefined;
  }
}

export class PgBudget implements RateBudget {
  private sweptAt = Date.now();

  constructor(
    private readonly pool: pg.Pool,
    private readonly flightHoldMs: number = FLIGHT_HOLD_MS,
  ) {}

  async tryTake(
    buckets: readonly BudgetBucket[],
    priority: BudgetPriority = 'first',
    ticket?: string,
  ): Promise<number> {
    if (buckets.length === 0) return 0;
    this.sweep();
    const { rows } = await this.pool.query<{ wait: string }>(
      'SELECT rate_take($1, $2, $3, $4, $5, $6, $7, $8) AS wait',
      [
        buckets.map((b) => b.key),
        buckets.map((b) => usablePoints(priority, b)),
        buckets.map((b) => budgetWindowMs(b.spec)),
        RANK[priority],
        DEMAND_GRACE_MS,
        ticket ?? randomUUID(),
        // Only a call with a ticket is settled, and asks again with the same
        // ticket: its point stays in flight until settled, and a first message
        // waits in line.
        ticket === undefined ? 0 : this.flightHoldMs,
        ticket === undefined ? 0 : WAITER_TTL_MS,
      ],
    );
    return Number(rows[0]!.wait);
  }

  async settle(buckets: readonly BudgetBucket[], ticket: string): Promise<void> {
    if (buckets.length === 0) return;
    await this.pool.query('SELECT rate_settle($1, $2)', [buckets.map((b) => b.key), ticket]);
  }

  /** rate_take's count and wait for one bucket at the first priority, reading only. */
  async wouldWait(bucket: BudgetBucket): Promise<number> {
    const window = budgetWindowMs(bucket.spec);
    const { rows } = await this.pool.query<{ now: string; kept: string[] }>(
      `WITH n AS (SELECT chutes_now_ms() AS now)
       SELECT n.now, array(SELECT u.t FROM rate_bucket, unnest(taken) AS u(t)
                           WHERE key = $1 AND u.t > n.now - $2 ORDER BY u.t) AS kept
       FROM n`,
      [bucket.key, window],
    );
    const now = Number(rows[0]!.now);
    const kept = rows[0]!.kept.map(Number);
    const allowed = usablePoints('first', bucket);
    if (kept.length < allowed) return 0;
    if (kept.length === 0) return window;
    const index = Math.min(kept.length - 1, Math.max(0, kept.length - allowed));
    // A point still in flight counts for a window from its answer, still to come.
    if (kept[index]! > now) return window;
    return Math.max(1, kept[index]! + window - now);
  }

  async owe(buckets: readonly BudgetBucket[], id: string, owing: boolean): Promise<void> {
    const keys = buckets.map((b) => b.key);
    if (!owing) {
      await this.pool.query('DELETE FROM rate_owed WHERE key = ANY ($1) AND answer_id = $2', [
        keys,
        id,
      ]);
      return;
    }
    // Expired debts (an answer whose worker died) first, then this one's.
    await this.pool.query(
      `WITH expired AS (DELETE FROM rate_owed WHERE key = ANY ($1) AND until < chutes_now_ms())
       INSERT INTO rate_owed (key, answer_id, until)
       SELECT k, $2, chutes_now_ms() + $3 FROM unnest($1::text[]) AS k
       ON CONFLICT (key, answer_id) DO UPDATE SET until = excluded.until`,
      [keys, id, OWED_TTL_MS],
    );
  }

  /** Now and then, deletes buckets nobody used for an hour (Redis lets their keys expire). */
  private sweep(): void {
    if (Date.now() - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = Date.now();
    void this.pool
      .query(
        `DELETE FROM rate_bucket WHERE key IN (
           SELECT key FROM rate_bucket WHERE used_at < chutes_now_ms() - $1
           LIMIT 1000 FOR UPDATE SKIP LOCKED)`,
        [BUCKET_IDLE_MS],
      )
      .catch(() => undefined);
  }
}

export class PgLearnedRules implements LearnedRulesStore {
  constructor(private readonly pool: pg.Pool) {}

  async read(platform: string): Promise<Record<string, string>> {
    const { rows } = await this.pool.query<{ op: string; rule: string }>(
      'SELECT op, rule FROM learned_rate WHERE platform = $1',
      [platform],
    );
    return Object.fromEntries(rows.map((r) => [r.op, r.rule]));
  }

  async write(platform: string, op: string, rule: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO learned_rate (platform, op, rule) VALUES ($1, $2, $3)
       ON CONFLICT (platform, op) DO UPDATE SET rule = excluded.rule`,
      [platform, op, rule],
    );
  }
}
