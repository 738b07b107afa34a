import { describe, expect, it } from 'vitest';
import { ChutesError } from '../../src/chutes/errors.js';
import { classifyFailure, toJobError } from '../../src/core/job-error.js';
import { backoffDelay, MAX_RETRY_AFTER_MS } from '../../src/queue/worker.js';

describe('backoffDelay', () => {
  it('grows exponentially with jitter, capped at a minute', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const full = Math.min(60_000, 2_000 * 2 ** (attempt - 1));
      const delay = backoffDelay(attempt, new Error('x'));
      expect(delay).toBeGreaterThanOrEqual(full / 2);
      expect(delay).toBeLessThanOrEqual(full);
    }
  });

  it("honours Chutes' Retry-After through the job error the handlers throw", () => {
    const chutes = new ChutesError('overloaded', 'busy', { status: 429, retryAfterMs: 120_000 });
    const wrapped = toJobError(chutes, classifyFailure(chutes, false));
    expect(wrapped.retryable).toBe(true);
    expect(backoffDelay(1, wrapped)).toBe(120_000);
    expect(backoffDelay(1, chutes)).toBe(120_000);
  });

  it('caps a Retry-After of hours, so one answer cannot hold its conversation for hours', () => {
    const chutes = new ChutesError('overloaded', 'busy', {
      status: 503,
      retryAfterMs: 3 * 3600_000,
    });
    expect(backoffDelay(1, chutes)).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBeLessThanOrEqual(120_000);
  });
});
