import { describe, expect, it } from 'vitest';
import { ChutesError } from '../../src/chutes/errors.js';
import {
  classifyFailure,
  isUnreachable,
  OUTAGE_PATIENCE_MS,
  toJobError,
} from '../../src/core/job-error.js';
import { SurfaceError } from '../../src/core/surface.js';
import { backoffDelay, MAX_RETRY_AFTER_MS } from '../../src/queue/attempts.js';

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
    const wrapped = toJobError(chutes, classifyFailure(chutes, { finalAttempt: false }));
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

describe('a store that cannot be reached', () => {
  const lost = new Error('Connection terminated unexpectedly');
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
  });

  it("is told apart from other failures, through the job error's cause", () => {
    expect(isUnreachable(lost)).toBe(true);
    expect(isUnreachable(refused)).toBe(true);
    expect(isUnreachable(new Error('Connection is closed.'))).toBe(true);
    expect(isUnreachable(toJobError(lost, { code: 'internal', final: false }))).toBe(true);
    expect(isUnreachable(new Error('relation "settings" does not exist'))).toBe(false);
    // Chutes and the platforms say for themselves what their network errors mean.
    expect(isUnreachable(new ChutesError('network', 'connect ECONNREFUSED'))).toBe(false);
    expect(isUnreachable(new SurfaceError('transient', 'Connection terminated'))).toBe(false);
  });

  it('is waited out without spending attempts, up to the patience, then fails like any error', () => {
    const now = 1_000_000;
    expect(classifyFailure(lost, { finalAttempt: true }, now)).toMatchObject({
      code: 'unavailable',
      final: false,
      waitOut: true,
    });
    const since = now - OUTAGE_PATIENCE_MS + 1;
    expect(classifyFailure(refused, { finalAttempt: true, outageSince: since }, now).final).toBe(
      false,
    );
    const long = now - OUTAGE_PATIENCE_MS;
    expect(classifyFailure(lost, { finalAttempt: true, outageSince: long }, now)).toMatchObject({
      final: true,
      waitOut: false,
    });
    expect(classifyFailure(lost, { finalAttempt: false, outageSince: long }, now).final).toBe(
      false,
    );
  });
});
