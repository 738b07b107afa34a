/**
 * What Discord's rate-limit headers teach: which bucket a route's requests
 * count against (X-RateLimit-Bucket: routes answering with the same hash
 * share one), its size (X-RateLimit-Limit) and, from the first request of a
 * window, its length (X-RateLimit-Reset-After). Discord documents that the
 * headers, not the routes, are the truth, and publishes no sizes.
 * (discord-api-docs `rate-limits`)
 */
import type { RateRule, SurfaceLimits, SurfaceOp } from '../../core/surface.js';
import type { LearnedRule } from '../platform.js';

/** The calls whose buckets the service budgets, by method and @discordjs/rest's bucket route. */
const OPS: Record<string, SurfaceOp> = {
  'POST /channels/:id/messages': 'post',
  'PATCH /channels/:id/messages/:id': 'edit',
  'DELETE /channels/:id/messages/:id': 'remove',
  'PUT /channels/:id/messages/:id/reactions/:reaction/@me': 'mark',
  'DELETE /channels/:id/messages/:id/reactions/:reaction/@me': 'unmark',
  'POST /channels/:id/messages/:id/threads': 'thread',
};

/** A window measured from its first request is rounded up to this, for the request's own latency. */
const WINDOW_ROUNDING_MS = 100;

export interface Observation {
  readonly op: SurfaceOp;
  readonly rule: LearnedRule;
}

/** What one response says about its route's bucket, or nothing when it says nothing. */
export function observe(
  method: string,
  route: string,
  headers: { get(name: string): string | null },
): Observation | undefined {
  const op = OPS[`${method.toUpperCase()} ${route}`];
  const bucket = headers.get('x-ratelimit-bucket');
  const limit = Number(headers.get('x-ratelimit-limit'));
  if (!op || !bucket || !Number.isInteger(limit) || limit < 1) return undefined;
  const remaining = Number(headers.get('x-ratelimit-remaining'));
  const resetAfter = Number(headers.get('x-ratelimit-reset-after'));
  // Only the first request of a window sees the whole window ahead of it.
  const windowMs =
    remaining === limit - 1 && Number.isFinite(resetAfter) && resetAfter > 0
      ? Math.ceil((resetAfter * 1000) / WINDOW_ROUNDING_MS) * WINDOW_ROUNDING_MS
      : undefined;
  return { op, rule: { bucket, points: limit, ...(windowMs ? { windowMs } : {}) } };
}

/**
 * Added to a per-channel window: a request's point is taken when it leaves,
 * Discord counts it when it arrives, and of two requests a window apart the
 * first may arrive later than its place (queued in the client, another
 * process's loop busy), so that Discord sees them closer than the window.
 */
export const TRANSIT_MARGIN_MS = 100;

/**
 * The declared limits with what was learned in place of the per-channel
 * guesses. Operations declared to share a bucket keep sharing it (and its
 * budget key, so no count is lost) while Discord names one bucket for them;
 * those it names apart get budgets of their own.
 */
export function withLearned(
  limits: SurfaceLimits,
  learned: ReadonlyMap<SurfaceOp, LearnedRule>,
): SurfaceLimits {
  if (learned.size === 0) return limits;
  const channelRule = (op: SurfaceOp) => limits.rates[op]?.find((r) => r.scope === 'channel');
  const rates: Partial<Record<SurfaceOp, readonly RateRule[]>> = { ...limits.rates };
  for (const [op, rule] of learned) {
    const declared = channelRule(op);
    if (!declared) continue;
    const partners = [...learned].filter(
      ([other]) => channelRule(other)?.bucket === declared.bucket,
    );
    const agreed = partners.every(([, other]) => other.bucket === rule.bucket);
    const bucket = agreed ? declared.bucket : `${declared.bucket}~${rule.bucket}`;
    // One bucket has one window: whichever operation saw it tells the others.
    const seen = [...learned.values()].find((o) => o.bucket === rule.bucket && o.windowMs);
    const learnedWindow = rule.windowMs ?? seen?.windowMs;
    const windowMs =
      learnedWindow === undefined ? declared.windowMs : learnedWindow + TRANSIT_MARGIN_MS;
    rates[op] = limits.rates[op]!.map((r) =>
      r === declared ? { bucket, scope: 'channel', points: rule.points, windowMs } : r,
    );
  }
  return { ...limits, rates };
}
