/**
 * A used-up Chutes balance (402) is the operator's to fix, not the asker's:
 * the asker reads one sentence, and the tenant's admins are told once, in
 * the log (one line per tenant per period, however many questions fail),
 * in `/usage` (from the usage rows whose outcome is `no_balance`) and in
 * `/metrics` (`chutes_bot_chutes_payment_required_total`, from the same rows).
 */

/** The outcome a usage row carries when Chutes refused for lack of balance (402). */
export const NO_BALANCE = 'no_balance';

export const PAYMENT_NOTICE_DEFAULTS = {
  /** How long after a tenant's log line the next refusal goes unlogged. */
  periodMs: 60 * 60_000,
  /** Tenants remembered at most; the oldest are forgotten first. */
  maxTenants: 10_000,
} as const;

/** Chutes' refusals for lack of balance in a tenant over the last 30 days. */
export interface PaymentRefusals {
  readonly count: number;
  readonly lastAt: Date;
}

/** Where refusals are read for `/usage` (the usage rows in Postgres). */
export interface PaymentRefusalSource {
  paymentRefusals(
    platform: string,
    tenantId: string,
    now: Date,
  ): Promise<PaymentRefusals | undefined>;
}

/** Logs a tenant's refusals for lack of balance, once per tenant per period, in this process. */
export class PaymentNotices {
  private readonly told = new Map<string, number>();

  constructor(
    private readonly log: { warn(details: object, message: string): void },
    private readonly options: { periodMs?: number; maxTenants?: number; now?: () => number } = {},
  ) {}

  /** Notes a refusal; returns whether it was logged (the first of its period). */
  note(platform: string, tenantId: string, model: string): boolean {
    const now = (this.options.now ?? Date.now)();
    const period = this.options.periodMs ?? PAYMENT_NOTICE_DEFAULTS.periodMs;
    const key = `${platform}:${tenantId}`;
    const last = this.told.get(key);
    if (last !== undefined && now - last < period) return false;
    this.told.delete(key);
    this.told.set(key, now);
    const max = this.options.maxTenants ?? PAYMENT_NOTICE_DEFAULTS.maxTenants;
    // A Map iterates in insertion order: the first key is the one told longest ago.
    if (this.told.size > max) this.told.delete(this.told.keys().next().value!);
    this.log.warn(
      { platform, tenantId, model },
      `Chutes refused to answer: the account has no balance or quota left (HTTP 402); top it up on chutes.ai. Further refusals for this tenant are not logged for ${Math.round(period / 60_000)} min`,
    );
    return true;
  }
}
