/**
 * The Discord gateway's memory stays flat however many channels and people
 * it sees: discord.js keeps no messages, and at most 1,000 users and members.
 * Runs the real gateway against the fake Discord, enqueueing into a real queue.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'discord.js';
import { startDiscordGateway, type DiscordGateway } from '../../src/platforms/discord/gateway.js';
import { createDiscordRest, DiscordSurface } from '../../src/platforms/discord/surface.js';
import { QUEUES } from '../../src/queue/jobs.js';
import { JobProducer } from '../../src/queue/producer.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import { openTestBackend, type TestBackend } from '../support/backends.js';

const TOKEN = 'discord.caches.token';
const GUILD = '100000000000000009';
const CHANNELS = 200;
const PEOPLE = 1_500;
const channel = (i: number) => `3100000000${String(i).padStart(8, '0')}`;
const person = (i: number) => ({
  id: `2100000000${String(i).padStart(8, '0')}`,
  username: `person${i}`,
  globalName: `Person ${i}`,
});

let discord: FakeDiscord;
let t: TestBackend;
let queue: JobQueue;
let gateway: DiscordGateway;
let client: Client;
beforeAll(async () => {
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '900000000000000009',
    botUser: { id: '900000000000000008', username: 'chutes-bot' },
    guilds: [
      {
        id: GUILD,
        name: 'A big server',
        channels: Array.from({ length: CHANNELS }, (_, i) => ({ id: channel(i), name: `c${i}` })),
      },
    ],
  });
  t = await openTestBackend('redis');
  queue = t.backend.queue(QUEUES.chat);
  const log = pino({ level: 'silent' });
  gateway = await startDiscordGateway({
    token: TOKEN,
    apiUrl: discord.apiUrl,
    applicationId: '900000000000000009',
    shards: 'auto',
    coordination: t.backend.shards,
    producer: new JobProducer({ chat: queue, commands: queue }, t.backend.order, 1),
    models: { chatModels: async () => [], modelInfos: async () => [] },
    log,
    notices: {
      surface: new DiscordSurface(createDiscordRest(TOKEN, discord.apiUrl)),
      budget: t.backend.budget,
      log,
    },
    messageContent: true,
    settings: { get: () => Promise.reject(new Error('no settings here')) },
  });
  client = gateway.client;
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await queue?.close();
  await t?.close();
  await discord?.close();
});

describe('the Discord gateway with many channels and people', () => {
  it('caches no messages and at most 1,000 users and members', async () => {
    for (let i = 0; i < PEOPLE; i++) {
      discord.sendMessage({
        channelId: channel(i % CHANNELS),
        author: person(i),
        content: `hello from ${i}`,
        // Every third one asks the bot; the rest are chatter the gateway sees too.
        mentionsBot: i % 3 === 0,
      });
    }
    const asked = PEOPLE / 3;
    const deadline = Date.now() + 30_000;
    while ((await queue.getWaitingCount()) < asked) {
      if (Date.now() > deadline) throw new Error('the mentions were not all queued');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await queue.getWaitingCount()).toBe(asked);
    // The bot's own user and member are kept over the limit.
    expect(client.users.cache.size).toBeLessThanOrEqual(1_001);
    const guild = client.guilds.cache.get(GUILD)!;
    expect(guild.members.cache.size).toBeLessThanOrEqual(1_001);
    expect(guild.channels.cache.size).toBe(CHANNELS);
    for (const ch of guild.channels.cache.values()) {
      if (ch.isTextBased()) expect(ch.messages.cache.size).toBe(0);
    }
  }, 60_000);
});
