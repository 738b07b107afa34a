/**
 * The renderer while a reasoning model thinks: the placeholder (or a native
 * stream's pending status) says for how long, paced; text taken back is
 * replaced, by edits where a native stream had shown it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReplyRenderer } from '../../src/core/reply-stream.js';
import {
  MemoryStreamSurface,
  MemorySurface,
  STREAM_LIMITS,
  TEST_LIMITS,
  WindowBudget,
} from '../support/memory-surface.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function renderer(surface: MemorySurface) {
  return new ReplyRenderer({
    surface,
    budget: new WindowBudget(),
    target: { channelId: 'c1', threadId: 't1' },
    tenantId: 'team',
    recipientId: 'u1',
    sleep,
  });
}

describe('ReplyRenderer while the model thinks', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('edits the placeholder to say how long, in steps, then shows the answer', async () => {
    const surface = new MemorySurface(TEST_LIMITS);
    const reply = renderer(surface);
    await reply.start('⏳ _Thinking…_');
    reply.thinking(Date.now());
    await vi.advanceTimersByTimeAsync(3_000);
    // The first seconds are the placeholder itself: nothing to edit yet.
    expect(surface.calls.map((c) => c.op)).toEqual(['post']);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(surface.contents.get('m1')).toBe('⏳ _Thinking… 10 s_');
    const edits = surface.calls.filter((c) => c.op === 'edit').map((c) => c.text);
    // One edit per step, not one a second.
    expect(edits).toEqual(['⏳ _Thinking… 5 s_', '⏳ _Thinking… 10 s_']);

    reply.thinking(undefined);
    reply.append('The answer.');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(surface.contents.get('m1')).toBe('The answer.');
    await vi.advanceTimersByTimeAsync(10_000);
    const done = reply.finish('The answer.');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.calls.filter((c) => c.op === 'edit').at(-1)!.text).toBe('The answer.');
  });

  it("sets a native stream's pending status now and then, never starting the stream", async () => {
    const surface = new MemoryStreamSurface(STREAM_LIMITS);
    const reply = renderer(surface);
    await reply.start('placeholder');
    reply.thinking(Date.now());
    await vi.advanceTimersByTimeAsync(21_000);
    expect(surface.streamCalls.map((c) => [c.op, c.text])).toEqual([
      ['pending', undefined],
      ['pending', 'is thinking… 5 s'],
      ['pending', 'is thinking… 20 s'],
    ]);
    reply.thinking(undefined);
    reply.append('Answer');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(surface.streamCalls.slice(3).map((c) => [c.op, c.text])).toEqual([['start', 'Answer']]);
    const done = reply.finish('Answer');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.streamCalls.at(-1)!.op).toBe('stop');
  });

  it('posts a message saying so where a stream has no pending status, and answers there', async () => {
    const surface = new MemoryStreamSurface(STREAM_LIMITS);
    surface.offersPending = false;
    const reply = renderer(surface);
    await reply.start('placeholder');
    expect(surface.calls).toEqual([]);
    reply.thinking(Date.now());
    await vi.advanceTimersByTimeAsync(6_000);
    expect(surface.calls.map((c) => [c.op, c.text])).toEqual([
      ['post', '⏳ _Thinking…_'],
      ['edit', '⏳ _Thinking… 5 s_'],
    ]);
    reply.thinking(undefined);
    reply.append('Answer');
    const done = reply.finish('Answer');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.streamCalls).toEqual([]);
    expect(surface.contents.get('m1')).toBe('Answer');
  });

  it('replaces text taken back: a stream that showed it is closed and edited', async () => {
    const surface = new MemoryStreamSurface(STREAM_LIMITS);
    const reply = renderer(surface);
    await reply.start('placeholder');
    reply.append('Hmm, I think ');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(surface.streamCalls.map((c) => c.op)).toContain('start');
    reply.retract();
    reply.thinking(Date.now());
    await vi.advanceTimersByTimeAsync(1_000);
    reply.thinking(undefined);
    reply.append('Four.');
    await vi.advanceTimersByTimeAsync(3_000);
    const [message] = surface.streamCalls.filter((c) => c.op === 'start');
    expect(surface.streamCalls.map((c) => c.op)).toContain('stop');
    expect(surface.contents.get(message!.messageId!)).toBe('Four.');
    const done = reply.finish('Four.');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.contents.get(message!.messageId!)).toBe('Four.');
  });
});
