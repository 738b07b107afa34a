/**
 * A worker SIGKILLed mid-answer, with the service's defaults (no shortened
 * locks): the same reply moves again within 15 s and ends with exactly the
 * model's text, on Redis and on Postgres alone.
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

const RECOVERY_MS = 15_000;

describe.each(['redis', 'postgres'] as const)(
  'crash recovery with the defaults, queue on %s',
  (topology) => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ topology, tuned: false });
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
    });

    it('moves the same reply again within 15 s of a SIGKILL and a restart, and ends exact', async () => {
      // 20 s of answer, killed after about five.
      const { reply, full } = await slowAnswer(stack, channel(1), {
        count: 40,
        chunkDelayMs: 500,
        until: 8,
      });
      await stack.service.kill();
      const killedAt = Date.now();
      const frozen = stack.botMessages(channel(1))[0]!.content;
      expect(frozen).not.toBe(full);

      stack.service = await stack.startService();
      const moved = await replyMoving(stack, channel(1), killedAt, frozen, RECOVERY_MS + 5_000);
      expect(moved.at - killedAt).toBeLessThan(RECOVERY_MS);

      const done = await replyShowing(stack, channel(1), full);
      expect(done.id).toBe(reply.id);
      expect(stack.botMessages(channel(1))).toHaveLength(1);
      expect(stack.rateLimited()).toEqual([]);
    }, 90_000);
  },
);
