/**
 * Where a platform call draws its budget: the buckets its surface's rate
 * rules name, keyed by their scope, and how far apart one reply's streaming
 * updates go so as to share a bucket's window evenly.
 */
import type { BudgetBucket } from './rate-budget.js';
import type { ChatSurface, SurfaceLimits, SurfaceOp } from './surface.js';

/** The shared budgets one call draws from: its rate rules, keyed by their scope. */
export function budgetBuckets(
  surface: Pick<ChatSurface, 'platform' | 'limits'>,
  op: SurfaceOp,
  where: { readonly channelId: string; readonly tenantId: string },
): BudgetBucket[] {
  const scopeIds = { channel: where.channelId, tenant: where.tenantId, bot: undefined } as const;
  return (surface.limits.rates[op] ?? []).map((rule) => {
    const id = scopeIds[rule.scope];
    const key = id === undefined ? rule.bucket : `${rule.bucket}:${id}`;
    return { key: `${surface.platform}:${key}`, spec: rule, scope: rule.scope };
  });
}

/**
 * Time between one reply's streaming updates: the narrowest rule's window
 * (a channel's, else a tenant's, else the bot's) shared out evenly, with a margin.
 */
export function paceMs(limits: SurfaceLimits, op: SurfaceOp = 'edit'): number {
  const rules = limits.rates[op] ?? [];
  const rule =
    rules.find((r) => r.scope === 'channel') ??
    rules.find((r) => r.scope === 'tenant') ??
    rules.find((r) => r.scope === 'bot');
  return rule ? Math.ceil((rule.windowMs / rule.points) * 1.2) : 0;
}
