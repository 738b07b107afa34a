import { describe, expect, it } from 'vitest';
import {
  CONTROL_ID_PATTERN,
  decodeControlId,
  encodeControlId,
  MAX_CONTROL_ID_LENGTH,
} from '../../src/core/controls/control-id.js';

describe('control ids', () => {
  it('read back what they were built from, for every action', () => {
    for (const action of ['stop', 'regenerate', 'up', 'down'] as const) {
      const control = {
        action,
        askerId: 'U0ANN00001',
        answerId: 'slack-msg-C0001-1700000000.000100',
      };
      const id = encodeControlId(control);
      expect(id).toMatch(CONTROL_ID_PATTERN);
      expect(decodeControlId(id)).toEqual(control);
    }
  });

  it("fit Discord's 100 characters or are not built", () => {
    const answerId = `discord-msg-${'1'.repeat(100)}`;
    expect(() => encodeControlId({ action: 'stop', askerId: '1', answerId })).toThrow(/100/);
    const id = encodeControlId({
      action: 'stop',
      askerId: '1'.repeat(20),
      answerId: 'discord-msg-r1234567890123456789',
    });
    expect(id.length).toBeLessThanOrEqual(MAX_CONTROL_ID_LENGTH);
  });

  it('refuse ids this service did not build', () => {
    for (const id of [
      '',
      'cb1:s:a',
      'cb1:x:a:b',
      'cb2:s:a:b',
      'cb1:s:a:b:c',
      'cb1:s:a b:c',
      `cb1:s:a:${'b'.repeat(100)}`,
    ])
      expect(decodeControlId(id)).toBeUndefined();
    expect(() => encodeControlId({ action: 'up', askerId: 'a:b', answerId: 'c' })).toThrow();
  });
});
