import type { RateSpec } from './types.js';

export interface Take {
  ok: boolean;
  /** How long until a request would pass again; 0 when this one passed. */
  retryAfterMs: number;
}

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Slack's tiers: fixed windows per method and workspace. A window opens at its
 * first request and closes `windowMs` later. Refused requests do not count.
 */
export class FixedWindows {
  private readonly windows = new Map<string, Window>();

  take(key: string, spec: RateSpec, now: number): Take {
    let win = this.windows.get(key);
    if (!win || now >= win.resetAt) {
      win = { count: 0, resetAt: now + spec.windowMs };
      this.windows.set(key, win);
    }
    if (win.count < spec.points) {
      win.count += 1;
      return { ok: true, retryAfterMs: 0 };
    }
    return { ok: false, retryAfterMs: win.resetAt - now };
  }
}

/**
 * "At most `points` in any `windowMs`": a log of the accepted requests, used
 * for `chat.postMessage` per channel, where Slack allows short bursts above
 * 1 per second but no burst may pile up inside a fresh fixed window.
 */
export class SlidingWindows {
  private readonly logs = new Map<string, number[]>();

  take(key: string, spec: RateSpec, now: number): Take {
    const log = (this.logs.get(key) ?? []).filter((t) => now - t < spec.windowMs);
    this.logs.set(key, log);
    if (log.length < spec.points) {
      log.push(now);
      return { ok: true, retryAfterMs: 0 };
    }
    // The oldest accepted request leaves the window first.
    return { ok: false, retryAfterMs: (log[0] ?? now) + spec.windowMs - now };
  }
}

/** `Retry-After` is whole seconds, rounded up, and never 0 (0 would mean "retry now"). */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
