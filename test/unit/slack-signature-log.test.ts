import { describe, expect, it } from 'vitest';
import type { Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../../src/log.js';
import {
  reportingSignatureFailures,
  SIGNATURE_FAILED,
} from '../../src/platforms/slack/credentials.js';

const MISMATCH =
  'Failed to parse and verify the request data: Failed to verify authenticity: signature mismatch';

function setup() {
  const lines: { details: object; message: string }[] = [];
  const passed: string[] = [];
  const log = { warn: (details: object, message: string) => lines.push({ details, message }) };
  const inner = {
    warn: (...msg: unknown[]) => passed.push(msg.join(' ')),
  } as unknown as SlackLogger;
  let now = 0;
  const logger = reportingSignatureFailures(inner, log as unknown as Logger, 60_000, () => now);
  return { lines, passed, logger, advance: (ms: number) => (now += ms) };
}

describe('signature failures in the log', () => {
  it('names SLACK_SIGNING_SECRET at most once a minute, with the count since the last line', () => {
    const { lines, passed, logger, advance } = setup();
    for (let i = 0; i < 5; i++) {
      logger.warn(MISMATCH);
      advance(10_000);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toBe(SIGNATURE_FAILED);
    expect(lines[0]!.details).toMatchObject({
      failed: 1,
      reason: expect.stringMatching(/signature mismatch/),
    });
    advance(10_000);
    logger.warn(MISMATCH);
    expect(lines).toHaveLength(2);
    // The four after the first line, and this one.
    expect(lines[1]!.details).toMatchObject({ failed: 5 });
    expect(passed).toEqual([]);
  });

  it("passes bolt's other warnings through", () => {
    const { lines, passed, logger } = setup();
    logger.warn('Malformed request body: nope');
    expect(passed).toEqual(['Malformed request body: nope']);
    expect(lines).toEqual([]);
  });
});
