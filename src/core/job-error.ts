import { ChutesError } from '../chutes/errors.js';
import { BotError } from '../errors.js';
import { SurfaceError } from './surface.js';

/**
 * How a job attempt ended badly, in queue-neutral terms: the queue wiring turns
 * one that is not `retryable` into a failure that is never retried, and
 * honours `retryAfterMs` for the others.
 */
export class JobError extends BotError {}

export interface FailureClass {
  readonly code: string;
  /** No retry follows: tell the user and record the outcome. */
  readonly final: boolean;
  readonly retryAfterMs?: number;
  /**
   * A store (Postgres, Redis) could not be reached: the job waits the outage
   * out, retrying without spending its attempts, up to OUTAGE_PATIENCE_MS.
   */
  readonly waitOut?: boolean;
}

/** How long a job waits out a store that cannot be reached before it fails like any error. */
export const OUTAGE_PATIENCE_MS = 120_000;

/** What classifying a failure needs to know about the attempt. */
export interface AttemptInfo {
  /** True when no retry follows if this attempt fails (attempts spent). */
  readonly finalAttempt: boolean;
  /** When this job first found a store unreachable (epoch ms), if it did. */
  readonly outageSince?: number;
}

/** Node's, pg's and ioredis' ways of saying the server cannot be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  // A name that does not resolve (yet): a restarting container's host name.
  'ENOTFOUND',
  'ECONNABORTED',
  'EHOSTDOWN',
  'ENETDOWN',
  // Postgres: shutting down, starting up, connection failures, no connection slot left.
  '53300',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
const UNREACHABLE_MESSAGES =
  /connection terminated|connection timeout|timeout exceeded when trying to connect|connection is closed|stream isn't writeable|reached the max retries per request limit|client has encountered a connection error|client was closed and is not queryable|connection ended unexpectedly|the database system is (starting up|shutting down)/i;
/** ioredis' in-flight commands flushed after the reconnect attempts, BullMQ's closed connection. */
const UNREACHABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ConnectionClosedError']);

/** True for a store that cannot be reached (as opposed to one that refused the request). */
export function isUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // Chutes and the platforms classify their own network failures.
    if (e instanceof ChutesError || e instanceof SurfaceError) return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (UNREACHABLE_NAMES.has(e.name) || UNREACHABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/**
 * Sorts an attempt's failure: a store that cannot be reached is waited out;
 * the service's own errors (Chutes', the platforms', the jobs') say whether
 * another try is worth it; anything else unknown is retried.
 */
export function classifyFailure(
  error: unknown,
  attempt: AttemptInfo,
  now: number = Date.now(),
): FailureClass {
  const finalAttempt = attempt.finalAttempt;
  if (isUnreachable(error)) {
    const waitOut = now - (attempt.outageSince ?? now) < OUTAGE_PATIENCE_MS;
    return { code: 'unavailable', final: !waitOut && finalAttempt, waitOut };
  }
  // Chutes', the platforms' and the jobs' own errors say whether a retry may help.
  if (error instanceof BotError) {
    return {
      code: error.code,
      final: finalAttempt || !error.retryable,
      retryAfterMs: error.retryAfterMs,
    };
  }
  return { code: 'internal', final: finalAttempt };
}

/** The error an attempt ends with, for the queue to retry or to fail for good. */
export function toJobError(error: unknown, failure: FailureClass): JobError {
  const message = error instanceof Error ? error.message : String(error);
  return new JobError(failure.code, message, {
    retryable: !failure.final,
    retryAfterMs: failure.retryAfterMs,
    cause: error,
  });
}
