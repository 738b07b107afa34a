/**
 * Graceful shutdown: a worker told to stop (SIGTERM) takes no new jobs, lets
 * a running answer go on for SHUTDOWN_GRACE_MS, then aborts its model call
 * and hands the job back, and another worker continues the same reply at
 * once; on Redis and on Postgres alone, with the service's default locks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  channel,
  replyMoving,
  replyShowing,
  slowAnswer,
  startStack,
  type Stack,
} from '../e2e/stack.js';

const GRACE_MS = 2_000;
/** Grace, then the hand-back and the other worker's first edit; waiting out the lock takes 8 s more. */
const MOVES_WITHIN_MS = GRACE_MS + 4_000;

describe.each(['redis', 'postgres'] as const)('graceful shutdown, queue on %s', (topology) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ topology, tuned: false, env: { ROLE: 'gateway' } });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('hands a running answer back after the grace period; another worker continues it at once', async () => {
    const first = await stack.startService({ ROLE: 'worker', SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    // 20 s of answer; the worker is stopped about 3 s in.
    const { reply, full } = await slowAnswer(stack, channel(1), {
      count: 40,
      chunkDelayMs: 500,
      until: 5,
    });
    await stack.startService({ ROLE: 'worker' });
    const stoppedAt = Date.now();
    const exitCode = await first.stop();
    const exitedAt = Date.now();
    expect(exitCode).toBe(0);
    const frozen = stack.botMessages(channel(1))[0]!.content;
    expect(frozen).not.toBe(full);

    const moved = await replyMoving(stack, channel(1), exitedAt, frozen, MOVES_WITHIN_MS + 10_000);
    expect(moved.at - stoppedAt).toBeLessThan(MOVES_WITHIN_MS);

    const done = await replyShowing(stack, channel(1), full);
    expect(done.id).toBe(reply.id);
    expect(stack.botMessages(channel(1))).toHaveLength(1);
    // The stopped worker's model call was aborted, not left to run on.
    const [abandoned, continued] = stack.chutes.requests.filter((r) => r.method === 'POST');
    expect(abandoned!.disconnectedAt).toBeDefined();
    expect(abandoned!.disconnectedAt!).toBeLessThanOrEqual(exitedAt);
    expect(continued!.at).toBeGreaterThanOrEqual(abandoned!.disconnectedAt!);
    expect(first.logs.some((l) => l.msg === 'job handed back')).toBe(true);
    expect(stack.rateLimited()).toEqual([]);
  }, 90_000);
});
