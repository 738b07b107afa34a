import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetBuckets } from '../../src/core/budget-buckets.js';
import { createDiscordRest, DiscordSurface } from '../../src/platforms/discord/surface.js';
import { TRANSIT_MARGIN_MS } from '../../src/platforms/discord/rate-headers.js';
import { LearnedRates } from '../../src/queue/learned-rates.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import { BACKEND_KINDS, openTestBackend, type TestBackend } from '../support/backends.js';

const CHANNEL = '300000000000000001';
const FAKE = {
  token: 'tok',
  applicationId: '900000000000000002',
  botUser: { id: '900000000000000001', username: 'bot' },
  guilds: [{ id: '100000000000000001', name: 'g', channels: [{ id: CHANNEL, name: 'c' }] }],
  rates: { messagesPerChannel: { points: 4, windowMs: 3_000 } },
};

describe.each(BACKEND_KINDS)('rate limits learned from headers, shared on %s', (kind) => {
  let t: TestBackend;
  // A fake of its own: the windows the headers report start with the first request.
  let discord: FakeDiscord;
  beforeAll(async () => {
    t = await openTestBackend(kind);
    discord = await startFakeDiscord(FAKE);
  });
  afterAll(async () => {
    await discord?.close();
    await t?.close();
  });

  it("learns the fake Discord's shared message bucket and shares it with another process", async () => {
    const learnedHere = new LearnedRates(t.learnedRules());
    await learnedHere.start(['discord']);
    const surface = new DiscordSurface(
      createDiscordRest('tok', discord.apiUrl),
      learnedHere.for('discord'),
    );
    const before = budgetBuckets(surface, 'post', { channelId: CHANNEL, tenantId: 'g' })[0]!;
    expect(before.spec).toMatchObject({ points: 5, windowMs: 5_000 });

    const message = await surface.post(CHANNEL, 'hello');
    await surface.edit(message, 'hello again');
    const post = budgetBuckets(surface, 'post', { channelId: CHANNEL, tenantId: 'g' })[0]!;
    const edit = budgetBuckets(surface, 'edit', { channelId: CHANNEL, tenantId: 'g' })[0]!;
    // What the fake's headers said (4 per 3 s, with the transit margin), one bucket for both,
    // counted on the same key as before.
    expect(post.spec).toMatchObject({ points: 4, windowMs: 3_000 + TRANSIT_MARGIN_MS });
    expect(edit.key).toBe(post.key);
    expect(post.key).toBe(before.key);

    // Another process on the same store knows it without a single request of its own.
    await learnedHere.flush();
    const elsewhere = new LearnedRates(t.learnedRules());
    await elsewhere.start(['discord']);
    const other = new DiscordSurface(
      createDiscordRest('tok', discord.apiUrl),
      elsewhere.for('discord'),
    );
    expect(
      budgetBuckets(other, 'edit', { channelId: CHANNEL, tenantId: 'g' })[0]!.spec,
    ).toMatchObject({
      points: 4,
      windowMs: 3_000 + TRANSIT_MARGIN_MS,
    });
    learnedHere.close();
    elsewhere.close();
    expect(discord.rateLimited).toEqual([]);
  });
});
