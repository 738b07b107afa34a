/**
 * Gateway shard coordination on Postgres, for deployments without Redis: the
 * tables of drizzle/*_gateway_shards.sql, each step one statement (atomic
 * across processes), expiry by the database's clock (chutes_now_ms(), i.e.
 * clock_timestamp()), the same rules as redis-shards.ts.
 */
import type pg from 'pg';
import type {
  GatewaySessions,
  IdentifyGate,
  ShardCoordination,
} from '../core/shard-coordination.js';
import {
  identifyBucket,
  joinShards,
  shardTimings,
  waitForTurn,
  type ShardLeaseStore,
  type ShardStoreOptions,
  type TickAnswer,
} from './shard-leases.js';

class PgLeaseStore implements ShardLeaseStore {
  constructor(private readonly pool: pg.Pool) {}

  async tick(
    owner: string,
    shardCount: number,
    held: readonly number[],
    ttlMs: number,
  ): Promise<TickAnswer> {
    // Expired members of this count go; this one is (re)written; the others alive are counted.
    const { rows: memberRows } = await this.pool.query<{ others: string }>(
      `WITH gone AS (
         DELETE FROM gateway_shard_member
         WHERE shard_count = $1 AND owner <> $2 AND expires_at <= chutes_now_ms()),
       me AS (
         INSERT INTO gateway_shard_member (shard_count, owner, expires_at)
         VALUES ($1, $2, chutes_now_ms() + $3)
         ON CONFLICT (shard_count, owner) DO UPDATE SET expires_at = excluded.expires_at)
       SELECT count(*) AS others FROM gateway_shard_member
       WHERE shard_count = $1 AND owner <> $2 AND expires_at > chutes_now_ms()`,
      [shardCount, owner, ttlMs],
    );
    const { rows: renewedRows } = await this.pool.query<{ shard_id: number }>(
      `UPDATE gateway_shard_lease SET expires_at = chutes_now_ms() + $4
       WHERE shard_count = $1 AND owner = $2 AND shard_id = ANY ($3::int[])
         AND expires_at > chutes_now_ms()
       RETURNING shard_id`,
      [shardCount, owner, held, ttlMs],
    );
    const { rows: freeRows } = await this.pool.query<{ shard_id: number }>(
      `SELECT s AS shard_id FROM generate_series(0, $1 - 1) AS s
       WHERE NOT EXISTS (
         SELECT 1 FROM gateway_shard_lease l
         WHERE l.shard_count = $1 AND l.shard_id = s AND l.expires_at > chutes_now_ms()
           AND l.owner <> $2)
       ORDER BY s`,
      [shardCount, owner],
    );
    return {
      members: Number(memberRows[0]!.others) + 1,
      renewed: renewedRows.map((r) => r.shard_id),
      free: freeRows.map((r) => r.shard_id),
    };
  }

  async claim(owner: string, shardCount: number, shardId: number, ttlMs: number) {
    const { rowCount } = await this.pool.query(
      `INSERT INTO gateway_shard_lease (shard_count, shard_id, owner, expires_at)
       VALUES ($1, $2, $3, chutes_now_ms() + $4)
       ON CONFLICT (shard_count, shard_id) DO UPDATE
         SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE gateway_shard_lease.expires_at <= chutes_now_ms()
            OR gateway_shard_lease.owner = excluded.owner
       RETURNING shard_id`,
      [shardCount, shardId, owner, ttlMs],
    );
    return rowCount === 1;
  }

  async release(owner: string, shardCount: number, shardId: number): Promise<void> {
    await this.pool.query(
      'DELETE FROM gateway_shard_lease WHERE shard_count = $1 AND shard_id = $2 AND owner = $3',
      [shardCount, shardId, owner],
    );
  }

  async leave(owner: string, shardCount: number): Promise<void> {
    await this.pool.query(
      'DELETE FROM gateway_shard_member WHERE shard_count = $1 AND owner = $2',
      [shardCount, owner],
    );
  }
}

export class PgShards implements ShardCoordination {
  readonly join: ShardCoordination['join'];
  readonly sessions: GatewaySessions;
  readonly identify: IdentifyGate;

  constructor(pool: pg.Pool, options: ShardStoreOptions = {}) {
    const timings = shardTimings(options);
    this.join = joinShards(new PgLeaseStore(pool), timings, options.onError ?? (() => undefined));
    this.sessions = {
      async get(shardId, shardCount) {
        const { rows } = await pool.query<{
          session_id: string;
          sequence: string;
          resume_url: string;
        }>(
          `SELECT session_id, sequence, resume_url FROM gateway_session
           WHERE shard_id = $1 AND shard_count = $2 AND expires_at > chutes_now_ms()`,
          [shardId, shardCount],
        );
        const row = rows[0];
        if (!row) return undefined;
        return {
          sessionId: row.session_id,
          sequence: Number(row.sequence),
          resumeUrl: row.resume_url,
          shardCount,
        };
      },
      async put(shardId, info) {
        // Sessions nobody put for long are deleted on the way (Redis lets them expire).
        await pool.query(
          `WITH gone AS (DELETE FROM gateway_session WHERE expires_at <= chutes_now_ms())
           INSERT INTO gateway_session
             (shard_id, shard_count, session_id, sequence, resume_url, expires_at)
           VALUES ($1, $2, $3, $4, $5, chutes_now_ms() + $6)
           ON CONFLICT (shard_id) DO UPDATE SET
             shard_count = excluded.shard_count, session_id = excluded.session_id,
             sequence = excluded.sequence, resume_url = excluded.resume_url,
             expires_at = excluded.expires_at`,
          [
            shardId,
            info.shardCount,
            info.sessionId,
            info.sequence,
            info.resumeUrl,
            timings.sessionTtlMs,
          ],
        );
      },
      async remove(shardId) {
        await pool.query('DELETE FROM gateway_session WHERE shard_id = $1', [shardId]);
      },
    };
    this.identify = {
      wait: (shardId, maxConcurrency, signal) => {
        const bucket = identifyBucket(shardId, maxConcurrency);
        return waitForTurn(async () => {
          // The start is this caller's when its upsert wins (a row comes back);
          // else it waits until the bucket's next start.
          const { rows } = await pool.query<{ won: boolean; wait: string }>(
            `WITH won AS (
               INSERT INTO gateway_identify (bucket, next_at) VALUES ($1, chutes_now_ms() + $2)
               ON CONFLICT (bucket) DO UPDATE SET next_at = excluded.next_at
                 WHERE gateway_identify.next_at <= chutes_now_ms()
               RETURNING bucket)
             SELECT EXISTS (SELECT 1 FROM won) AS won,
                    coalesce((SELECT next_at FROM gateway_identify WHERE bucket = $1), 0)
                      - chutes_now_ms() AS wait`,
            [bucket, timings.identifySpacingMs],
          );
          return rows[0]!.won ? 0 : Math.max(1, Number(rows[0]!.wait));
        }, signal);
      },
    };
  }
}
