/**
 * A gateway that resumes a session another gateway started sees no READY and
 * no GUILD_CREATE: it still knows the bot, where a thread is and who opened
 * it, and a channel's kind, from REST. Two real gateways on the real store
 * (Redis) against the fake Discord; the second resumes what the first left.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatJob, CommandJob } from '../../src/core/jobs.js';
import {
  startDiscordGateway,
  type DiscordGateway,
  type DiscordGatewayOptions,
} from '../../src/platforms/discord/gateway.js';
import { registerDiscordCommands } from '../../src/platforms/discord/commands.js';
import { createDiscordRest, DiscordSurface } from '../../src/platforms/discord/surface.js';
import { QUEUES } from '../../src/queue/jobs.js';
import { JobProducer } from '../../src/queue/producer.js';
import type { JobQueue } from '../../src/queue/backend.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import { openTestBackend, type TestBackend } from '../support/backends.js';

const TOKEN = 'discord.resumed.token';
const APP = '900000000000000019';
const BOT = { id: '900000000000000018', username: 'chutes-bot' };
const GUILD = '100000000000000019';
const CHANNEL = '310000000000000019';
const THREAD = '410000000000000019';
const BOT_THREAD = '410000000000000029';
const ANN = { id: '210000000000000019', username: 'ann', globalName: 'Ann' };

let discord: FakeDiscord;
let t: TestBackend;
let chat: JobQueue;
let commands: JobQueue;
const gateways: DiscordGateway[] = [];

function options(): DiscordGatewayOptions {
  const log = pino({ level: 'silent' });
  return {
    token: TOKEN,
    apiUrl: discord.apiUrl,
    applicationId: APP,
    shards: 'auto',
    coordination: t.backend.shards,
    producer: new JobProducer({ chat, commands }, t.backend.order, 1),
    models: { chatModels: async () => [], modelInfos: async () => [] },
    log,
    notices: {
      surface: new DiscordSurface(createDiscordRest(TOKEN, discord.apiUrl)),
      budget: t.backend.budget,
      log,
    },
    messageContent: true,
    settings: { get: () => Promise.reject(new Error('no settings here')) },
  };
}

beforeAll(async () => {
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: APP,
    botUser: BOT,
    guilds: [
      {
        id: GUILD,
        name: 'Resumed',
        channels: [{ id: CHANNEL, name: 'general' }],
        threads: [
          { id: THREAD, name: 'people', parentId: CHANNEL, ownerId: ANN.id },
          { id: BOT_THREAD, name: 'answers', parentId: CHANNEL, ownerId: BOT.id },
        ],
      },
    ],
  });
  await registerDiscordCommands(createDiscordRest(TOKEN, discord.apiUrl), APP);
  t = await openTestBackend('redis');
  chat = t.backend.queue(QUEUES.chat);
  commands = t.backend.queue(QUEUES.commands);
  // The first gateway identifies, then leaves: its session is stored, resumable.
  const first = await startDiscordGateway(options());
  expect(first.shards()).toEqual([0]);
  await first.close();
  const second = await startDiscordGateway(options());
  gateways.push(second);
}, 60_000);
afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await chat?.close();
  await commands?.close();
  await t?.close();
  await discord?.close();
});

async function queued<T>(queue: JobQueue, count: number): Promise<T[]> {
  return discord.waitFor(async () => {
    const jobs = await queue.getWaiting();
    return jobs.length >= count ? jobs.map((job) => job.data as T) : undefined;
  }, 10_000);
}

describe('a gateway that resumed a session another started', () => {
  it('resumed instead of identifying, and knows channels, threads and their owners', async () => {
    expect(discord.gatewayStats.identifies).toBe(1);
    expect(discord.gatewayStats.resumes).toBe(1);
    expect(gateways[0]!.client.guilds.cache.size).toBe(0);

    const inChannel = discord.sendMessage({
      channelId: CHANNEL,
      author: ANN,
      content: 'in the channel',
      mentionsBot: true,
    });
    const inThread = discord.sendMessage({
      channelId: THREAD,
      author: ANN,
      content: 'in a thread',
      mentionsBot: true,
    });
    // In the bot's own thread, a message without the ping is a question too.
    const inBotThread = discord.sendMessage({
      channelId: BOT_THREAD,
      author: ANN,
      content: 'follow-up',
    });
    const jobs = await queued<ChatJob>(chat, 3);
    const byId = new Map(jobs.map((job) => [job.messageId, job]));
    expect(byId.get(inChannel.id)).toMatchObject({
      channelId: CHANNEL,
      shared: true,
      text: 'in the channel',
      author: { id: ANN.id, name: 'Ann' },
    });
    expect(byId.get(inThread.id)).toMatchObject({ channelId: THREAD, parentChannelId: CHANNEL });
    expect(byId.get(inThread.id)!.shared).toBeUndefined();
    expect(byId.get(inBotThread.id)).toMatchObject({
      channelId: BOT_THREAD,
      parentChannelId: CHANNEL,
      text: 'follow-up',
    });
    // The server from REST, with the bot's own role (mentions of it are questions).
    const guild = gateways[0]!.client.guilds.cache.get(GUILD);
    expect(guild?.name).toBe('Resumed');
    expect(guild?.roles.cache.some((role) => role.tags?.botId === BOT.id)).toBe(true);
    expect(discord.invalidRequests).toBe(0);
  });

  it('takes a command in a thread, with the thread’s channel', async () => {
    const sent = discord.sendInteraction({
      name: 'forget',
      channelId: THREAD,
      user: ANN,
      permissions: '32',
    });
    expect(await sent.callback).toMatchObject({ acknowledged: true });
    const [job] = await queued<CommandJob>(commands, 1);
    expect(job).toMatchObject({ command: 'forget', channelId: THREAD, parentChannelId: CHANNEL });
    expect(job!.actor.isAdmin).toBe(true);
  });
});
