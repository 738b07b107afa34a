import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { reservedFor } from '../../src/core/rate-budget.js';
import { paceMs } from '../../src/core/budget-buckets.js';
import { ReplyRenderer } from '../../src/core/reply-stream.js';
import { splitMessage } from '../../src/core/split.js';
import { MemorySurface, TEST_LIMITS, WindowBudget } from '../support/memory-surface.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('ReplyRenderer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(limits = TEST_LIMITS) {
    const surface = new MemorySurface(limits);
    const persisted: string[][] = [];
    const renderer = new ReplyRenderer({
      surface,
      budget: new WindowBudget(),
      target: { channelId: 'c1', replyTo: 'q1' },
      tenantId: 't1',
      onMessages: async (refs) => void persisted.push(refs.map((r) => r.messageId)),
      sleep,
    });
    return { surface, renderer, persisted };
  }

  it('posts a placeholder that replies to the question, then ends with exactly the text', async () => {
    const { surface, renderer } = setup();
    await renderer.start('…');
    expect(surface.calls[0]).toMatchObject({ op: 'post', text: '…', replyTo: 'q1' });
    renderer.append('Hello');
    renderer.append(', world');
    const done = renderer.finish('Hello, world');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.contents.get('m1')).toBe('Hello, world');
    expect(surface.calls.filter((c) => c.op === 'post')).toHaveLength(1);
  });

  it('paces streaming edits evenly and never exceeds the edit rate in any window', async () => {
    const { surface, renderer } = setup({ ...TEST_LIMITS, maxMessageLength: 2000 });
    await renderer.start('…');
    const t0 = Date.now();
    for (let i = 0; i < 200; i++) {
      renderer.append(`w${i} `);
      await vi.advanceTimersByTimeAsync(100);
    }
    const done = renderer.finish('final');
    await vi.runAllTimersAsync();
    await done;
    const edits = surface.calls.filter((c) => c.op === 'edit');
    // 20 s of streaming at one edit per 1.2 s.
    expect(edits.length).toBeGreaterThanOrEqual(12);
    expect(edits.length).toBeLessThanOrEqual(19);
    for (let i = 1; i < edits.length - 1; i++) {
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(paceMs(surface.limits));
    }
    for (const edit of edits) {
      const inWindow = edits.filter((e) => e.at > edit.at - 5_000 && e.at <= edit.at).length;
      expect(inWindow).toBeLessThanOrEqual(5);
    }
    expect(edits[0]!.at - t0).toBeLessThan(200);
    expect(surface.contents.get('m1')).toBe('final');
  });

  it('skips an edit when the text has not changed', async () => {
    const { surface, renderer } = setup();
    await renderer.start('…');
    renderer.append('same');
    await vi.advanceTimersByTimeAsync(5_000);
    const done = renderer.finish('same');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.calls.filter((c) => c.op === 'edit')).toHaveLength(1);
  });

  it('continues a long answer in further messages and persists each one', async () => {
    const { surface, renderer, persisted } = setup();
    await renderer.start('…');
    const text = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    for (const word of text.split(/(?<= )/)) renderer.append(word);
    const done = renderer.finish(text);
    await vi.runAllTimersAsync();
    await done;
    const ids = [...surface.contents.keys()];
    expect(ids.length).toBeGreaterThan(3);
    expect(ids.map((id) => surface.contents.get(id)).join('')).toBe(text);
    for (const content of surface.contents.values())
      expect(content.length).toBeLessThanOrEqual(100);
    expect(persisted.at(-1)).toEqual(ids);
    // Follow-ups are not replies: only the first message replies to the question.
    expect(surface.calls.filter((c) => c.op === 'post' && c.replyTo).length).toBe(1);
  });

  it('reuses the messages of an earlier attempt and removes the ones it no longer needs', async () => {
    const surface = new MemorySurface(TEST_LIMITS);
    const first = await surface.post('c1', 'old page 1');
    const second = await surface.post('c1', 'old page 2');
    const renderer = new ReplyRenderer({
      surface,
      budget: new WindowBudget(),
      target: { channelId: 'c1' },
      tenantId: 't1',
      existing: [first, second],
      sleep,
    });
    await renderer.start('…');
    const done = renderer.finish('short answer');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.calls.filter((c) => c.op === 'post')).toHaveLength(2);
    expect(surface.contents.get(first.messageId)).toBe('short answer');
    expect(surface.contents.has(second.messageId)).toBe(false);
  });

  it('survives a failed intermediate edit and still delivers the final text', async () => {
    const { surface, renderer } = setup();
    await renderer.start('…');
    surface.failNextEdits = 1;
    renderer.append('part');
    await vi.advanceTimersByTimeAsync(3_000);
    renderer.append(' two');
    const done = renderer.finish('part two');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.contents.get('m1')).toBe('part two');
  });

  it('shows a code block that is still being written as a closed block, then the exact text', async () => {
    const { surface, renderer } = setup({ ...TEST_LIMITS, maxMessageLength: 2000 });
    await renderer.start('…');
    renderer.append('Code:\n```py\nprint(1)\n');
    await vi.advanceTimersByTimeAsync(10);
    expect(surface.contents.get('m1')).toBe('Code:\n```py\nprint(1)\n```');
    const done = renderer.finish('Code:\n```py\nprint(1)\n```\nDone.');
    await vi.runAllTimersAsync();
    await done;
    expect(surface.contents.get('m1')).toBe('Code:\n```py\nprint(1)\n```\nDone.');
  });

  it('takes text that arrives before the placeholder is posted, posting exactly once', async () => {
    const surface = new MemorySurface({ ...TEST_LIMITS, maxMessageLength: 2000 });
    let release!: () => void;
    const slowPost = surface.post.bind(surface);
    surface.post = async (...args) => {
      await new Promise<void>((resolve) => (release = resolve));
      return slowPost(...args);
    };
    const renderer = new ReplyRenderer({
      surface,
      budget: new WindowBudget(),
      target: { channelId: 'c1' },
      tenantId: 't1',
      sleep,
    });
    const started = renderer.start('…');
    renderer.append('Early ');
    renderer.append('words.');
    await vi.advanceTimersByTimeAsync(50);
    release();
    await started;
    const done = renderer.finish('Early words.');
    await vi.runAllTimersAsync();
    const messages = await done;
    expect(messages).toHaveLength(1);
    expect(surface.calls.filter((c) => c.op === 'post')).toHaveLength(1);
    expect(surface.calls[0]).toMatchObject({ op: 'post', text: '…' });
    expect(surface.contents.get(messages[0]!.messageId)).toBe('Early words.');
  });

  it('caps an answer at its page limit, ends the last page with a note, and gives up the stream', async () => {
    const surface = new MemorySurface(TEST_LIMITS);
    const onGiveUp = vi.fn();
    const renderer = new ReplyRenderer({
      surface,
      budget: new WindowBudget(),
      target: { channelId: 'c1' },
      tenantId: 't1',
      maxPages: 3,
      tooLongNote: '(cut)',
      onGiveUp,
      sleep,
    });
    await renderer.start('…');
    const text = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    for (const piece of text.match(/.{1,50}/g)!) {
      renderer.append(piece);
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(onGiveUp).toHaveBeenCalledWith('too_long');
    const done = renderer.finish(text);
    await vi.runAllTimersAsync();
    const messages = await done;
    expect(messages).toHaveLength(3);
    const shown = messages.map((m) => surface.contents.get(m.messageId)!);
    for (const page of shown) expect(page.length).toBeLessThanOrEqual(TEST_LIMITS.maxMessageLength);
    expect(shown[2]!.endsWith('\n\n(cut)')).toBe(true);
    expect(shown.slice(0, 2)).toEqual(splitMessage(text, TEST_LIMITS.maxMessageLength).slice(0, 2));
    expect(surface.calls.filter((c) => c.op === 'post')).toHaveLength(3);
  });

  it('gives the first message of an answer the budget before updates of answers already shown', async () => {
    const budget = new WindowBudget();
    const limits = {
      ...TEST_LIMITS,
      maxMessageLength: 2000,
      rates: {
        post: [{ bucket: 'all', scope: 'bot', points: 10, windowMs: 10_000 }],
        edit: [{ bucket: 'all', scope: 'bot', points: 10, windowMs: 10_000 }],
      },
    } as const;
    const surface = new MemorySurface(limits);
    const busy = Array.from(
      { length: 3 },
      (_, i) =>
        new ReplyRenderer({
          surface,
          budget,
          target: { channelId: `c${i}` },
          tenantId: 't',
          sleep,
        }),
    );
    for (const renderer of busy) await renderer.start('…');
    // Three answers stream and edit as fast as the budget lets them.
    for (let t = 0; t < 30; t++) {
      for (const renderer of busy) renderer.append(`x${t} `);
      await vi.advanceTimersByTimeAsync(100);
    }
    const edits = surface.calls.filter((c) => c.op === 'edit').length;
    // Updates left the reserved points alone (half of a bot-wide bucket): a new
    // answer still gets its first message now.
    expect(edits).toBeLessThanOrEqual(10 - 3 - reservedFor('update', 10, 'bot'));
    expect(edits).toBeGreaterThan(0);
    const late = new ReplyRenderer({
      surface,
      budget,
      target: { channelId: 'c9' },
      tenantId: 't',
      sleep,
    });
    const before = Date.now();
    await late.start('…');
    expect(Date.now() - before).toBe(0);
    for (const renderer of [...busy, late]) void renderer.finish('done');
    await vi.runAllTimersAsync();
  });
});

describe('reservedFor', () => {
  it('keeps updates out of half a bot-wide bucket, a fifth of others, and nothing of tiny ones', () => {
    expect(reservedFor('update', 50, 'bot')).toBe(25);
    expect(reservedFor('update', 5, 'channel')).toBe(1);
    expect(reservedFor('update', 100, 'tenant')).toBe(20);
    expect(reservedFor('update', 1, 'channel')).toBe(0);
    expect(reservedFor('final', 50, 'bot')).toBe(3);
    expect(reservedFor('final', 20, 'tenant')).toBe(0);
    expect(reservedFor('first', 50, 'bot')).toBe(0);
  });

  it('stops waiting for budget at once when its job is stopped, and takes no point', async () => {
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const surface = new MemorySurface(TEST_LIMITS);
    const budget = new WindowBudget();
    // The channel's posts are spent for the next five seconds.
    for (let i = 0; i < 5; i++)
      await budget.tryTake([{ key: 'memory:post:c1', spec: { points: 5, windowMs: 5_000 } }]);
    const stop = new AbortController();
    const renderer = new ReplyRenderer({
      surface,
      budget,
      target: { channelId: 'c1' },
      tenantId: 't1',
      signal: stop.signal,
      sleep,
    });
    const done = renderer.finish('never shown');
    const outcome = done.then(
      () => 'finished',
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(100);
    stop.abort(new Error('lock lost'));
    await vi.advanceTimersByTimeAsync(0);
    expect(await outcome).toEqual(new Error('lock lost'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(surface.calls).toEqual([]);
  });
});
