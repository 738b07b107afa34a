import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReplyRenderer } from '../../src/core/reply-stream.js';
import { splitMessage } from '../../src/core/split.js';
import type { MessageRef } from '../../src/core/surface.js';
import { muteMentions } from '../../src/platforms/slack/text.js';
import { MemoryStreamSurface, STREAM_LIMITS, WindowBudget } from '../support/memory-surface.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('ReplyRenderer with a native stream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(
    options: {
      surface?: MemoryStreamSurface;
      budget?: WindowBudget;
      existing?: MessageRef[];
      onGiveUp?: (reason: unknown) => void;
    } = {},
  ) {
    const surface = options.surface ?? new MemoryStreamSurface(STREAM_LIMITS);
    const persisted: MessageRef[][] = [];
    const renderer = new ReplyRenderer({
      surface,
      budget: options.budget ?? new WindowBudget(),
      target: { channelId: 'c1', threadId: 't1' },
      tenantId: 'team',
      recipientId: 'u1',
      existing: options.existing,
      onMessages: async (refs) => void persisted.push([...refs]),
      onGiveUp: options.onGiveUp,
      sleep,
    });
    return { surface, renderer, persisted };
  }

  async function stream(renderer: ReplyRenderer, words: string[], gapMs = 300) {
    for (const word of words) {
      renderer.append(word);
      await vi.advanceTimersByTimeAsync(gapMs);
    }
  }

  /** A first attempt that streamed half an answer and died: its surface and saved progress. */
  async function abandonedStream() {
    const surface = new MemoryStreamSurface(STREAM_LIMITS);
    const first = setup({ surface });
    await first.renderer.start('placeholder');
    await stream(first.renderer, ['half ', 'an ', 'answer']);
    // The first attempt dies here; its progress names the open stream.
    const left = first.persisted.at(-1)!;
    expect(left[0]!.stream).toBe(true);
    return { surface, left };
  }

  it('shows a pending status, then appends as text arrives and stops with exactly the text', async () => {
    const { surface, renderer, persisted } = setup({
      surface: new MemoryStreamSurface({ ...STREAM_LIMITS, maxMessageLength: 2000 }),
    });
    await renderer.start('placeholder');
    expect(surface.streamCalls.map((c) => c.op)).toEqual(['pending']);
    expect(surface.calls).toEqual([]);
    const words = Array.from({ length: 20 }, (_, i) => `word${i} `);
    await stream(renderer, words);
    const done = renderer.finish(words.join(''));
    await vi.runAllTimersAsync();
    const [message] = await done;

    const ops = surface.streamCalls.map((c) => c.op);
    expect(ops[0]).toBe('pending');
    expect(ops[1]).toBe('start');
    expect(ops.at(-1)).toBe('stop');
    expect(ops.filter((op) => op === 'append').length).toBeGreaterThanOrEqual(3);
    // Appends are paced, not one call per token.
    expect(ops.filter((op) => op === 'append').length).toBeLessThan(words.length - 2);
    expect(surface.contents.get(message!.messageId)).toBe(words.join(''));
    // Nothing was posted or edited the post + edit way.
    expect(surface.calls).toEqual([]);
    // The stream's message was saved for a retry as soon as it existed, and
    // marked closed once stopped.
    expect(persisted[0]).toEqual([
      { channelId: 'c1', messageId: message!.messageId, stream: true },
    ]);
    expect(persisted.at(-1)).toEqual([{ channelId: 'c1', messageId: message!.messageId }]);
  });

  it('posts and edits in the thread when the platform refuses the stream', async () => {
    const surface = new MemoryStreamSurface(STREAM_LIMITS);
    surface.refuseStart = true;
    const { renderer } = setup({ surface });
    await renderer.start('placeholder');
    await stream(renderer, ['Hello ', 'there ', 'friend.']);
    const done = renderer.finish('Hello there friend.');
    await vi.runAllTimersAsync();
    const messages = await done;
    expect(messages).toHaveLength(1);
    expect(surface.contents.get(messages[0]!.messageId)).toBe('Hello there friend.');
    expect(surface.calls[0]).toMatchObject({ op: 'post', threadId: 't1' });
  });

  it('continues in the same message by edits when the platform closes the stream', async () => {
    const surface = new MemoryStreamSurface({ ...STREAM_LIMITS, maxMessageLength: 2000 });
    surface.closeAfterAppends = 2;
    const { renderer } = setup({ surface });
    await renderer.start('placeholder');
    const words = Array.from({ length: 30 }, (_, i) => `w${i} `);
    await stream(renderer, words, 400);
    const done = renderer.finish(words.join(''));
    await vi.runAllTimersAsync();
    const messages = await done;
    expect(messages).toHaveLength(1);
    expect(surface.contents.get(messages[0]!.messageId)).toBe(words.join(''));
    expect(surface.calls.filter((c) => c.op === 'post')).toEqual([]);
    expect(surface.calls.filter((c) => c.op === 'edit').length).toBeGreaterThan(0);
    expect(surface.calls.every((c) => c.messageId === messages[0]!.messageId)).toBe(true);
  });

  it('does not wait for a stream when the tenant has none left to start: it posts instead', async () => {
    const budget = new WindowBudget();
    const surface = new MemoryStreamSurface(STREAM_LIMITS);
    // STREAM_LIMITS allows two stream starts a minute per tenant.
    for (let i = 0; i < 3; i++) {
      const { renderer } = setup({ surface, budget });
      await renderer.start('placeholder');
      renderer.append(`answer ${i}`);
      await vi.advanceTimersByTimeAsync(100);
      const done = renderer.finish(`answer ${i}`);
      await vi.advanceTimersByTimeAsync(2_000);
      await done;
    }
    expect(surface.streamCalls.filter((c) => c.op === 'start')).toHaveLength(2);
    expect(surface.calls.filter((c) => c.op === 'post')).toHaveLength(1);
    expect([...surface.contents.values()]).toEqual(['answer 0', 'answer 1', 'answer 2']);
  });

  it('tells the job when the user stops the stream, and stops streaming', async () => {
    const surface = new MemoryStreamSurface({ ...STREAM_LIMITS, maxMessageLength: 2000 });
    surface.stopByUserAfterAppends = 1;
    const onGiveUp = vi.fn();
    const { renderer } = setup({ surface, onGiveUp });
    await renderer.start('placeholder');
    await stream(
      renderer,
      Array.from({ length: 10 }, (_, i) => `w${i} `),
      500,
    );
    expect(onGiveUp).toHaveBeenCalledTimes(1);
    expect(onGiveUp.mock.calls[0]![0]).toMatchObject({ code: 'stopped' });
    expect(renderer.stopped).toBe(true);
    const appendsWhenStopped = surface.streamCalls.length;
    await stream(renderer, ['more ', 'text ']);
    expect(surface.streamCalls).toHaveLength(appendsWhenStopped);
    const done = renderer.finish('w0 w1 _(Stopped.)_');
    await vi.runAllTimersAsync();
    const messages = await done;
    expect(surface.contents.get(messages[0]!.messageId)).toBe('w0 w1 _(Stopped.)_');
  });

  it('ends the stream when the answer outgrows a message and continues in new messages', async () => {
    const { surface, renderer } = setup();
    await renderer.start('placeholder');
    const text = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    await stream(renderer, text.match(/.{1,12}/g)!, 300);
    const done = renderer.finish(text);
    await vi.runAllTimersAsync();
    const messages = await done;
    const pages = splitMessage(text, STREAM_LIMITS.maxMessageLength);
    expect(pages.length).toBeGreaterThan(2);
    expect(messages.map((m) => surface.contents.get(m.messageId))).toEqual(pages);
    expect(surface.streamCalls.filter((c) => c.op === 'start')).toHaveLength(1);
    expect(surface.streamCalls.filter((c) => c.op === 'stop')).toHaveLength(1);
  });

  it('closes a stream an earlier attempt left open, and finishes by editing it', async () => {
    const { surface, left } = await abandonedStream();

    const retry = setup({ surface, existing: left });
    await retry.renderer.start('placeholder');
    const done = retry.renderer.finish('the whole answer');
    await vi.runAllTimersAsync();
    const messages = await done;
    expect(messages).toEqual([{ channelId: 'c1', messageId: left[0]!.messageId }]);
    expect(surface.contents.get(left[0]!.messageId)).toBe('the whole answer');
    expect(surface.streamCalls.filter((c) => c.op === 'start')).toHaveLength(1);
    expect(surface.streamCalls.at(-1)).toMatchObject({ op: 'stop', text: '' });
    expect(surface.calls.map((c) => c.op)).toEqual(['edit']);
  });

  it('closes a stream left open before finishing an answer an earlier attempt already stored', async () => {
    const { surface, left } = await abandonedStream();

    // The stored-answer path renders at once, without start().
    const retry = setup({ surface, existing: left });
    const done = retry.renderer.finish('the stored answer');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.contents.get(left[0]!.messageId)).toBe('the stored answer');
    expect(surface.streamCalls.at(-1)).toMatchObject({ op: 'stop', text: '' });
  });

  it('closes a stream it finds open when an edit is refused for it, and edits again', async () => {
    const { surface, left } = await abandonedStream();
    // Progress that lost the stream mark (saved while the queue was away).
    const ref = left[0]!;
    const retry = setup({
      surface,
      existing: [{ channelId: ref.channelId, messageId: ref.messageId }],
    });
    await retry.renderer.start('placeholder');
    const done = retry.renderer.finish('the whole answer');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.contents.get(ref.messageId)).toBe('the whole answer');
    expect(surface.streamCalls.at(-1)).toMatchObject({ op: 'stop', text: '' });
  });

  it('mutes a mention token that arrives split across two appends', async () => {
    const surface = new MemoryStreamSurface({ ...STREAM_LIMITS, maxMessageLength: 2000 });
    surface.mute = muteMentions;
    const { renderer } = setup({ surface });
    await renderer.start('placeholder');
    await stream(
      renderer,
      ['Hello <', '!chan', 'nel> and <@U', '0BOB00001> and &lt;', '!here&gt;'],
      2_000,
    );
    const done = renderer.finish('Hello <!channel> and <@U0BOB00001> and &lt;!here&gt; bye');
    await vi.runAllTimersAsync();
    const [message] = await done;
    const shown = surface.contents.get(message!.messageId)!;
    expect(shown).not.toMatch(/<[!@]|&lt;[!@]/);
    expect(shown.replaceAll('\u200B', '')).toBe(
      'Hello <!channel> and <@U0BOB00001> and &lt;!here&gt; bye',
    );
    expect(surface.streamCalls.filter((c) => c.op === 'append').length).toBeGreaterThan(1);
  });
});
