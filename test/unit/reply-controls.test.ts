/**
 * The buttons ride on the answer's own posts and edits: Stop on the first
 * message while it streams, the finished answer's buttons on its last page,
 * none elsewhere, and no call a reply without buttons would not make.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { streamingControls } from '../../src/core/controls/reply-controls.js';
import { ReplyRenderer } from '../../src/core/reply-stream.js';
import type { Control, EditOptions, MessageRef, PostOptions } from '../../src/core/surface.js';
import { MemorySurface, TEST_LIMITS, WindowBudget } from '../support/memory-surface.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A surface that shows buttons and records which each call carried. */
class ButtonSurface extends MemorySurface {
  readonly controls = true;
  readonly carried: { op: string; messageId: string; ids: string[] | undefined }[] = [];

  override async post(channelId: string, text: string, options?: PostOptions): Promise<MessageRef> {
    const ref = await super.post(channelId, text, options);
    this.carried.push({ op: 'post', messageId: ref.messageId, ids: ids(options?.controls) });
    return ref;
  }

  override async edit(message: MessageRef, text: string, options?: EditOptions): Promise<void> {
    await super.edit(message, text);
    this.carried.push({ op: 'edit', messageId: message.messageId, ids: ids(options?.controls) });
  }
}

const ids = (controls: readonly Control[] | undefined) => controls?.map((c) => c.id.slice(0, 6));

async function answer(surface: MemorySurface, text: string, withButtons: boolean) {
  const renderer = new ReplyRenderer({
    surface,
    budget: new WindowBudget(),
    target: { channelId: 'c1' },
    tenantId: 't1',
    sleep,
    ...(withButtons ? { controls: streamingControls('u1', 'discord-msg-1') } : {}),
  });
  await renderer.start('…');
  for (const word of text.split(' ')) {
    renderer.append(`${word} `);
    await vi.advanceTimersByTimeAsync(700);
  }
  const done = renderer.finish(text);
  await vi.runAllTimersAsync();
  await done;
}

describe('buttons on a reply', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('carry Stop while streaming and the finished buttons at the end, in the same calls', async () => {
    const text = 'one two three four five six';
    const plain = new MemorySurface(TEST_LIMITS);
    await answer(plain, text, false);
    const surface = new ButtonSurface(TEST_LIMITS);
    await answer(surface, text, true);

    expect(surface.calls.map((c) => c.op)).toEqual(plain.calls.map((c) => c.op));
    const [first, ...rest] = surface.carried;
    expect(first).toEqual({ op: 'post', messageId: 'm1', ids: ['cb1:s:'] });
    const last = rest.at(-1)!;
    expect(last).toEqual({ op: 'edit', messageId: 'm1', ids: ['cb1:r:', 'cb1:u:', 'cb1:d:'] });
    for (const call of rest.slice(0, -1)) expect(call.ids).toEqual(['cb1:s:']);
    expect(surface.contents.get('m1')).toBe(text);
  });

  it('put the finished buttons on the last page only, and take Stop off the first', async () => {
    const surface = new ButtonSurface({ ...TEST_LIMITS, maxMessageLength: 40 });
    const text = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron';
    await answer(surface, text, true);
    const lastOf = (id: string) => surface.carried.filter((c) => c.messageId === id).at(-1)!.ids;
    const pages = [...surface.contents.keys()];
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages.slice(0, -1)) expect(lastOf(page)).toEqual([]);
    expect(lastOf(pages.at(-1)!)).toEqual(['cb1:r:', 'cb1:u:', 'cb1:d:']);
  });

  it('put them on the last page when the final render posts every page', async () => {
    const surface = new ButtonSurface({ ...TEST_LIMITS, maxMessageLength: 40 });
    const renderer = new ReplyRenderer({
      surface,
      budget: new WindowBudget(),
      target: { channelId: 'c1' },
      tenantId: 't1',
      sleep,
      controls: streamingControls('u1', 'discord-msg-1'),
    });
    const done = renderer.finish('alpha beta gamma delta epsilon zeta eta theta iota kappa lambda');
    await vi.runAllTimersAsync();
    await done;
    const posts = surface.carried.filter((c) => c.op === 'post');
    expect(posts.length).toBeGreaterThan(1);
    for (const post of posts.slice(0, -1)) expect(post.ids).toEqual([]);
    expect(posts.at(-1)!.ids).toEqual(['cb1:r:', 'cb1:u:', 'cb1:d:']);
    expect(surface.carried.filter((c) => c.op === 'edit')).toEqual([]);
  });
});
