import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordRest, DiscordSurface } from '../../src/platforms/discord/surface.js';
import { SurfaceError } from '../../src/core/surface.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

const BOT = { id: '900000000000000001', username: 'bot' };
const CHANNEL = '300000000000000001';
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
