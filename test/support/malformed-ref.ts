import { expect } from 'vitest';
import { MalformedRefError } from '../../src/core/malformed-ref.js';

/** The MalformedRefError `run` throws; fails the test when it throws nothing or something else. */
export function malformed(run: () => unknown): MalformedRefError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedRefError);
    return error as MalformedRefError;
  }
  throw new Error('expected a MalformedRefError');
}
