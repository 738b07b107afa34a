/**
 * The gateway's hand-fed discord.js client (event-client.ts) against the fake
 * Discord's REST: the bot user from /users/@me, events of one shard in order
 * even when one waits for its channel to be fetched, and replayed
 * interactions past Discord's 3 s deadline skipped.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Events,
  GatewayDispatchEvents,
  SnowflakeUtil,
  type Client,
  type GatewayDispatchPayload,
  type Interaction,
  type Message,
} from 'discord.js';
import { createEventClient, EventFeed } from '../../src/platforms/discord/event-client.js';
import { snowflake } from '../fakes/discord/snowflake.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

const TOKEN = 'discord.feed.token';
const APP = '900000000000000029';
const BOT = { id: '900000000000000028', username: 'chutes-bot' };
const GUILD = '100000000000000029';
const CHANNEL = '310000000000000029';
const ANN = { id: '210000000000000029', username: 'ann', global_name: 'Ann' };

let discord: FakeDiscord;
let client: Client;
let feed: EventFeed;
const debug: string[] = [];

beforeAll(async () => {
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: APP,
    botUser: BOT,
    guilds: [{ id: GUILD, name: 'Fed', channels: [{ id: CHANNEL, name: 'general' }] }],
  });
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void debug.push(JSON.parse(line).msg as string) },
  );
  const options = {
    token: TOKEN,
    apiUrl: discord.apiUrl,
    applicationId: APP,
    messageContent: true,
    log,
    spend: () => Promise.resolve(),
  };
  client = createEventClient(options);
  feed = new EventFeed(client, options);
  await feed.start();
});
afterAll(async () => {
  await client?.destroy();
  await discord?.close();
});

let sequence = 0;
function dispatch(t: string, d: Record<string, unknown>): GatewayDispatchPayload {
  return { op: 0, s: ++sequence, t, d } as unknown as GatewayDispatchPayload;
}
const collect = (run: () => void) => {
  run();
  return Promise.resolve();
};

function message(channelId: string, content: string, guildId?: string) {
  return dispatch(GatewayDispatchEvents.MessageCreate, {
    id: snowflake(),
    channel_id: channelId,
    ...(guildId ? { guild_id: guildId } : { channel_type: 1 }),
    author: ANN,
    content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
  });
}

function interaction(id: string) {
  return dispatch(GatewayDispatchEvents.InteractionCreate, {
    id,
    application_id: APP,
    type: 2,
    data: { id: snowflake(), name: 'help', type: 1 },
    channel_id: CHANNEL,
    guild_id: GUILD,
    member: {
      user: ANN,
      roles: [],
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      permissions: '0',
    },
    token: 'interaction-token',
    version: 1,
    locale: 'en-US',
    app_permissions: '0',
    entitlements: [],
    authorizing_integration_owners: {},
    attachment_size_limit: 1_000_000,
  });
}

describe('the hand-fed discord.js client', () => {
  it('knows the bot user without a READY', () => {
    expect(client.user?.id).toBe(BOT.id);
  });

  it('keeps a shard’s events in order while one waits for its server and channel', async () => {
    const seen: string[] = [];
    const onMessage = (m: Message) => seen.push(`${m.content}:${m.guild?.name ?? 'dm'}`);
    client.on(Events.MessageCreate, onMessage);
    const dm = '510000000000000029';
    const first = feed.feed(message(CHANNEL, 'first', GUILD), 0, collect);
    // A DM needs no fetch, yet comes after the message waiting for one.
    const second = feed.feed(message(dm, 'second'), 0, collect);
    expect(first).toBeDefined();
    await Promise.all([first, second]);
    client.off(Events.MessageCreate, onMessage);
    expect(seen).toEqual(['first:Fed', 'second:dm']);
    expect(client.channels.cache.get(CHANNEL)?.isTextBased()).toBe(true);
  });

  it('skips a replayed interaction past Discord’s 3 s deadline, and feeds a fresh one', async () => {
    const seen: string[] = [];
    const onInteraction = (i: Interaction) => seen.push(i.id);
    client.on(Events.InteractionCreate, onInteraction);
    // (the fake's snowflake() never goes back in time)
    const stale = SnowflakeUtil.generate({ timestamp: Date.now() - 4_000 }).toString();
    const fresh = snowflake();
    expect(feed.feed(interaction(stale), 0, collect)).toBeUndefined();
    await feed.feed(interaction(fresh), 0, collect);
    client.off(Events.InteractionCreate, onInteraction);
    expect(seen).toEqual([fresh]);
    expect(debug).toContain('skipping a replayed Discord interaction past its 3 s deadline');
  });
});
