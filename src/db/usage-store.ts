/**
 * Reads the `usage` table for `/usage` and the daily quotas. Every worker
 * writes one row per job (unique job id), so sums here count each answer
 * and image once, whichever worker ran it and however often it was retried.
 */
import { sql } from 'drizzle-orm';
import {
  ANSWERED,
  GENERATED,
  type UsageGroup,
  type UsageSource,
  type UsageWindow,
} from '../core/usage.js';
import type { Db } from './client.js';
import {
  NO_BALANCE,
  type PaymentRefusalSource,
  type PaymentRefusals,
} from '../core/payment-notice.js';
import { usage } from './schema.js';

const answered = sql`${usage.kind} = 'chat' AND ${usage.outcome} IN (${sql.join(
  ANSWERED.map((o) => sql`${o}`),
  sql`, `,
)})`;
const generated = sql`${usage.kind} = 'image' AND ${usage.outcome} IN (${sql.join(
  GENERATED.map((o) => sql`${o}`),
  sql`, `,
)})`;

interface GroupRow extends Record<string, unknown> {
  window: number;
  kind: 'chat' | 'image';
  model: string;
  user_id: string;
  user_name: string | null;
  answers: number;
  images: number;
  prompt_tokens: number;
  completion_tokens: number;
  estimated: boolean;
}

export class PgUsageStore implements UsageSource, PaymentRefusalSource {
  constructor(private readonly db: Db) {}

  async usageGroups(platform: string, tenantId: string, now: Date): Promise<UsageGroup[]> {
    const at = now.toISOString();
    // Tokens count for answers only: a failed call's row carries no real usage.
    const { rows } = await this.db.execute<GroupRow>(sql`
      SELECT
        CASE WHEN ${usage.createdAt} > ${at}::timestamptz - interval '1 day' THEN 1
             WHEN ${usage.createdAt} > ${at}::timestamptz - interval '7 days' THEN 7
             ELSE 30 END AS window,
        ${usage.kind} AS kind,
        ${usage.model} AS model,
        ${usage.userId} AS user_id,
        (array_agg(${usage.userName} ORDER BY ${usage.createdAt} DESC)
          FILTER (WHERE ${usage.userName} IS NOT NULL))[1] AS user_name,
        (count(*) FILTER (WHERE ${answered}))::int AS answers,
        (count(*) FILTER (WHERE ${generated}))::int AS images,
        (coalesce(sum(${usage.promptTokens}) FILTER (WHERE ${answered}), 0))::float8 AS prompt_tokens,
        (coalesce(sum(${usage.completionTokens}) FILTER (WHERE ${answered}), 0))::float8
          AS completion_tokens,
        coalesce(bool_or(${usage.tokensEstimated}) FILTER (WHERE ${answered}), false) AS estimated
      FROM ${usage}
      WHERE ${usage.platform} = ${platform}
        AND ${usage.tenantId} = ${tenantId}
        AND ${usage.createdAt} > ${at}::timestamptz - interval '30 days'
        AND ${usage.createdAt} <= ${at}::timestamptz
      GROUP BY 1, 2, 3, 4`);
    return rows.map((row) => ({
      window: row.window as UsageWindow,
      kind: row.kind,
      model: row.model,
      userId: row.user_id,
      userName: row.user_name,
      answers: row.answers,
      images: row.images,
      promptTokens: row.prompt_tokens,
      completionTokens: row.completion_tokens,
      estimated: row.estimated,
    }));
  }

  async usedSince(
    platform: string,
    tenantId: string,
    since: Date,
    userId?: string,
  ): Promise<{ tokens: number; images: number }> {
    const member = userId === undefined ? sql`` : sql`AND ${usage.userId} = ${userId}`;
    const { rows } = await this.db.execute<{ tokens: number; images: number }>(sql`
      SELECT
        (coalesce(sum(coalesce(${usage.promptTokens}, 0) + coalesce(${usage.completionTokens}, 0))
          FILTER (WHERE ${answered}), 0))::float8 AS tokens,
        (count(*) FILTER (WHERE ${generated}))::int AS images
      FROM ${usage}
      WHERE ${usage.platform} = ${platform}
        AND ${usage.tenantId} = ${tenantId}
        AND ${usage.createdAt} >= ${since.toISOString()}::timestamptz
        ${member}`);
    const row = rows[0];
    return { tokens: Number(row?.tokens ?? 0), images: Number(row?.images ?? 0) };
  }

  /** Chutes' refusals for lack of balance (usage rows with that outcome) in the last 30 days. */
  async paymentRefusals(
    platform: string,
    tenantId: string,
    now: Date,
  ): Promise<PaymentRefusals | undefined> {
    const at = now.toISOString();
    const { rows } = await this.db.execute<{ count: number; last_at: string | Date | null }>(sql`
      SELECT count(*)::int AS count, max(${usage.createdAt}) AS last_at
      FROM ${usage}
      WHERE ${usage.platform} = ${platform}
        AND ${usage.tenantId} = ${tenantId}
        AND ${usage.outcome} = ${NO_BALANCE}
        AND ${usage.createdAt} > ${at}::timestamptz - interval '30 days'
        AND ${usage.createdAt} <= ${at}::timestamptz`);
    const row = rows[0];
    if (!row || !row.count || row.last_at === null) return undefined;
    return { count: Number(row.count), lastAt: new Date(row.last_at) };
  }
}
