import { describe, expect, it } from 'vitest';
import { HandledSequence } from '../../src/platforms/discord/handled-sequence.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('HandledSequence', () => {
  it('starts at the sequence the session was opened or resumed at', () => {
    expect(new HandledSequence(41).handled).toBe(41);
  });

  it('follows dispatches handled at once', () => {
    const seq = new HandledSequence(0);
    seq.track(1);
    seq.track(2);
    expect(seq.handled).toBe(2);
  });

  it('never goes past a question still being queued, whatever arrives after it', async () => {
    const seq = new HandledSequence(10);
    const question = deferred();
    seq.track(11);
    seq.track(12, question.promise);
    seq.track(13);
    seq.track(14);
    expect(seq.handled).toBe(11);
    expect(seq.inFlight).toBe(1);
    question.resolve();
    await tick();
    expect(seq.handled).toBe(14);
    expect(seq.inFlight).toBe(0);
  });

  it('is held by the oldest of several in flight, and a failed handling completes it', async () => {
    const seq = new HandledSequence(0);
    const first = deferred();
    const second = deferred();
    seq.track(1, first.promise);
    seq.track(2, second.promise);
    seq.track(3);
    second.resolve();
    await tick();
    expect(seq.handled).toBe(0);
    first.reject(new Error('could not enqueue'));
    await tick();
    expect(seq.handled).toBe(3);
  });

  it('settled() waits for what is in flight, and no longer than asked', async () => {
    const seq = new HandledSequence(0);
    const question = deferred();
    seq.track(1, question.promise);
    const started = Date.now();
    await seq.settled(60);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(seq.handled).toBe(0);
    setTimeout(question.resolve, 10);
    await seq.settled(5_000);
    expect(seq.handled).toBe(1);
  });
});
