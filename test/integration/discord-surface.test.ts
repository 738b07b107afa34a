import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordRest, DiscordSurface } from '../../src/platforms/discord/surface.js';
import { SurfaceError } from '../../src/core/surface.js';
import {
  DEFAULT_BOT_PERMISSIONS,
  Perm,
  startFakeDiscord,
  type FakeDiscord,
} from '../fakes/discord/index.js';

const BOT = { id: '900000000000000001', username: 'bot' };
const CHANNEL = '300000000000000001';
const NO_THREADS = '300000000000000003';
const THREADS = '300000000000000004';
const ANN = { id: '200000000000000001', username: 'ann' };
let discord: FakeDiscord;
let surface: DiscordSurface;

beforeAll(async () => {
  discord = await startFakeDiscord({
    token: 'tok',
    applicationId: '900000000000000002',
    botUser: BOT,
    guilds: [
      {
        id: '100000000000000001',
        name: 'g',
        channels: [
          { id: CHANNEL, name: 'c' },
          { id: '300000000000000002', name: 'busy' },
          { id: THREADS, name: 'threads' },
          {
            id: NO_THREADS,
            name: 'no-threads',
            botPermissions: String(BigInt(DEFAULT_BOT_PERMISSIONS) & ~Perm.CreatePublicThreads),
          },
        ],
      },
    ],
  });
  surface = new DiscordSurface(createDiscordRest('tok', discord.apiUrl));
});
afterAll(async () => {
  await discord?.close();
});

describe('DiscordSurface against the fake Discord', () => {
  it('starts one thread from a question, named after it; starting it again gives the same thread', async () => {
    const question = discord.sendMessage({ channelId: THREADS, author: ANN, content: 'q' });
    const ref = { channelId: THREADS, messageId: question.id };
    const long = `${'a question\nover lines '.repeat(8)}end`;
    const thread = await surface.startThread(ref, long);
    expect(thread).toEqual({ channelId: question.id });
    // A retry that did not know the thread was opened.
    expect(await surface.startThread(ref, long)).toEqual({ channelId: question.id });
    const starts = discord.requests.filter((r) => r.path.endsWith(`/${question.id}/threads`));
    expect(starts.map((r) => [r.status, r.code])).toEqual([
      [201, undefined],
      [400, 160004],
    ]);
    const name = (starts[0]!.body as { name: string }).name;
    expect([...name].length).toBeLessThanOrEqual(100);
    expect([...name].length).toBeGreaterThan(95);
    expect(name).toMatch(/^a question over lines a question .*…$/);
    await surface.post(thread.channelId, 'the answer');
    expect(discord.messages(question.id).map((m) => m.content)).toEqual(['the answer']);
  });

  it('says forbidden where it may not create threads', async () => {
    const question = discord.sendMessage({ channelId: NO_THREADS, author: ANN, content: 'q' });
    const error = await surface
      .startThread({ channelId: NO_THREADS, messageId: question.id }, 'q')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SurfaceError);
    expect((error as SurfaceError).code).toBe('forbidden');
  });

  it('posts once per idempotency key: a repeated post returns the first message', async () => {
    const first = await surface.post(CHANNEL, 'placeholder', {
      idempotencyKey: 'discord-msg-123456789012345678:0',
    });
    const again = await surface.post(CHANNEL, 'placeholder', {
      idempotencyKey: 'discord-msg-123456789012345678:0',
    });
    const other = await surface.post(CHANNEL, 'next page', {
      idempotencyKey: 'discord-msg-123456789012345678:1',
    });
    expect(again.messageId).toBe(first.messageId);
    expect(other.messageId).not.toBe(first.messageId);
    expect(discord.messages(CHANNEL).map((m) => m.content)).toEqual(['placeholder', 'next page']);
  });

  it('never lets the model ping anyone', async () => {
    const ref = await surface.post(CHANNEL, 'hey @everyone and <@200000000000000001>');
    const message = discord.message(ref.messageId)!;
    expect(message.mentionEveryone).toBe(false);
    expect(message.mentions).toEqual([]);
  });

  it('maps Discord errors to the core’s codes', async () => {
    const error = await surface
      .edit({ channelId: CHANNEL, messageId: '1' }, 'x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SurfaceError);
    expect((error as SurfaceError).code).toBe('gone');
    const tooLong = await surface.post(CHANNEL, 'x'.repeat(2001)).catch((e: unknown) => e);
    expect((tooLong as SurfaceError).code).toBe('rejected');
    expect((tooLong as SurfaceError).retryable).toBe(false);
  });

  it('gives up a post waiting for its bucket as soon as its job is stopped', async () => {
    // discord.js learns the channel's bucket from the headers and holds the next post back.
    const busy = '300000000000000002';
    const before = discord.messages(busy).length;
    for (let i = 0; i < 5; i++) await surface.post(busy, `fill ${i}`);
    const stop = new AbortController();
    const started = Date.now();
    const held = surface.post(busy, 'never', { signal: stop.signal }).then(
      () => 'posted',
      (error: unknown) => error,
    );
    setTimeout(() => stop.abort(new Error('stopped')), 200);
    expect(await held).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Given up for good: not sent once the bucket has room again either.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(discord.messages(busy).map((m) => m.content)).not.toContain('never');
    expect(discord.messages(busy).length - before).toBe(5);
  }, 15_000);
});
