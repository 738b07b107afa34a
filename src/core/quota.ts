/**
 * Daily quotas per tenant: tokens of answers and images generated since UTC
 * midnight, counted from the usage rows every worker writes (one per job,
 * so a retried job never counts twice). A question or /imagine past a quota
 * gets one sentence saying when it resets, and no model call is made.
 *
 * The check runs when a job starts: answers already streaming when the
 * quota is reached finish, so a day may end slightly over its limit.
 */
import type { Metrics } from './metrics.js';
import { plural } from './numbers.js';
import type { EffectiveSettings } from './settings/index.js';
import type { UsageSource } from './usage.js';

export interface QuotaMeter {
  readonly used: number;
  /** Undefined: no limit. */
  readonly limit?: number;
}

export interface QuotaState {
  readonly tokens: QuotaMeter;
  readonly images: QuotaMeter;
  /** The next UTC midnight, when both start again from zero. */
  readonly resetsAt: Date;
  /** Each member's own daily limits, where set. */
  readonly perMember?: { readonly tokens?: number; readonly images?: number };
}

export type QuotaKind = 'chat' | 'image';

const DAY_MS = 24 * 3600 * 1000;

/** The UTC midnight that started `now`'s day. */
export function utcDayStart(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

export async function quotaState(
  source: Pick<UsageSource, 'usedSince'>,
  platform: string,
  tenantId: string,
  limits: EffectiveSettings['quotas'],
  now: Date,
): Promise<QuotaState> {
  const start = utcDayStart(now);
  const used = await source.usedSince(platform, tenantId, start);
  return {
    tokens: { used: used.tokens, limit: limits.dailyTokens },
    images: { used: used.images, limit: limits.dailyImages },
    resetsAt: new Date(start.getTime() + DAY_MS),
    ...(limits.memberTokens !== undefined || limits.memberImages !== undefined
      ? { perMember: { tokens: limits.memberTokens, images: limits.memberImages } }
      : {}),
  };
}

/** One member's use today against the per-member quotas. */
export async function memberQuotaState(
  source: Pick<UsageSource, 'usedSince'>,
  platform: string,
  tenantId: string,
  userId: string,
  limits: EffectiveSettings['quotas'],
  now: Date,
): Promise<QuotaState> {
  const start = utcDayStart(now);
  const used = await source.usedSince(platform, tenantId, start, userId);
  return {
    tokens: { used: used.tokens, limit: limits.memberTokens },
    images: { used: used.images, limit: limits.memberImages },
    resetsAt: new Date(start.getTime() + DAY_MS),
  };
}

export const reached = (meter: QuotaMeter) =>
  meter.limit !== undefined && meter.used >= meter.limit;

/** "in 3 h 12 min", "in 5 min": how long until `at`. */
export function timeUntil(at: Date, now: Date): string {
  const minutes = Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 60_000));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `in ${rest} min`;
  return rest === 0 ? `in ${hours} h` : `in ${hours} h ${rest} min`;
}

/** The one sentence a member gets past a quota: the tenant's, or their own (`member`). */
export function quotaReachedText(
  kind: QuotaKind,
  state: QuotaState,
  now: Date,
  member = false,
): string {
  const limit =
    kind === 'chat'
      ? plural(state.tokens.limit ?? 0, 'token', 'tokens')
      : plural(state.images.limit ?? 0, 'image', 'images');
  const who = member ? 'You have' : 'This server or workspace has';
  return `⏳ ${who} used ${member ? 'your' : 'its'} daily limit of ${limit}; it resets at 00:00 UTC (${timeUntil(state.resetsAt, now)}).`;
}

/** Checks a tenant's quota before a model call; one per worker, shared by its jobs. */
export class Quotas {
  constructor(
    private readonly source: Pick<UsageSource, 'usedSince'>,
    private readonly metrics?: Pick<Metrics, 'refused'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * The answer to give instead of calling the model, when the tenant is past
   * the quota that `kind` uses; undefined when it may go ahead.
   */
  async refusal(
    kind: QuotaKind,
    platform: string,
    tenantId: string,
    settings: Pick<EffectiveSettings, 'quotas'>,
    userId?: string,
  ): Promise<string | undefined> {
    const q = settings.quotas;
    const now = this.now();
    const meter = (state: QuotaState) => (kind === 'chat' ? state.tokens : state.images);
    if ((kind === 'chat' ? q.dailyTokens : q.dailyImages) !== undefined) {
      const state = await quotaState(this.source, platform, tenantId, q, now);
      if (reached(meter(state))) return this.refuse(kind, platform, state, now, false);
    }
    if (userId !== undefined && (kind === 'chat' ? q.memberTokens : q.memberImages) !== undefined) {
      const state = await memberQuotaState(this.source, platform, tenantId, userId, q, now);
      if (reached(meter(state))) return this.refuse(kind, platform, state, now, true);
    }
    return undefined;
  }

  private refuse(
    kind: QuotaKind,
    platform: string,
    state: QuotaState,
    now: Date,
    member: boolean,
  ): string {
    this.metrics?.refused(platform, kind);
    return quotaReachedText(kind, state, now, member);
  }
}
