import { createHash } from 'node:crypto';
import type { RateSpec } from './types.js';

export interface BucketRef {
  /** Route shape such as `PATCH /channels/:id/messages/:id`; shapes sharing a bucket share a name. */
  name: string;
  /** The top-level resource (channel id, webhook token) the window is counted for. */
  major: string;
  spec: RateSpec;
}

export interface TakeResult {
  ok: boolean;
  retryAfterMs: number;
  headers: Record<string, string>;
}

interface Window {
  count: number;
  resetAt: number;
}

const seconds = (ms: number): string => (Math.ceil(ms) / 1000).toFixed(3);

/** Discord's bucket ids are opaque hashes of the route shape, the same for every channel. */
export function bucketHash(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 32);
}

/**
 * Fixed windows like Discord's: a window opens at its first request and
 * closes `windowMs` later; nothing leaks back early.
 */
export class Buckets {
  private readonly windows = new Map<string, Window>();

  take(ref: BucketRef, now: number): TakeResult {
    const key = `${ref.name}|${ref.major}`;
    let win = this.windows.get(key);
    if (!win || now >= win.resetAt) {
      win = { count: 0, resetAt: now + ref.spec.windowMs };
      this.windows.set(key, win);
    }
    const ok = win.count < ref.spec.points;
    if (ok) win.count += 1;
    const resetAfter = win.resetAt - now;
    return {
      ok,
      retryAfterMs: ok ? 0 : resetAfter,
      headers: {
        'X-RateLimit-Limit': String(ref.spec.points),
        'X-RateLimit-Remaining': String(ref.spec.points - win.count),
        'X-RateLimit-Reset': seconds(win.resetAt),
        'X-RateLimit-Reset-After': seconds(resetAfter),
        'X-RateLimit-Bucket': bucketHash(ref.name),
      },
    };
  }

  /** The global limit answers without bucket headers, only scope and Retry-After. */
  takeGlobal(spec: RateSpec, now: number): TakeResult {
    const res = this.take({ name: 'global', major: 'bot', spec }, now);
    return { ...res, headers: {} };
  }
}

export function rateLimitedResponse(
  retryAfterMs: number,
  global: boolean,
): { body: Record<string, unknown>; headers: Record<string, string> } {
  return {
    body: {
      message: 'You are being rate limited.',
      retry_after: Math.ceil(retryAfterMs) / 1000,
      global,
    },
    headers: {
      // Discord rounds the header up to whole seconds; the body keeps the fraction.
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      'X-RateLimit-Scope': global ? 'global' : 'user',
      ...(global ? { 'X-RateLimit-Global': 'true' } : {}),
    },
  };
}
