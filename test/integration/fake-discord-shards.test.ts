/**
 * The fake Discord's sharding, driven by the real `@discordjs/ws`
 * WebSocketManager and by raw websockets: routing of guild events and DMs by
 * shard, resume with replay after a dropped connection, op 9 for unknown or
 * expired sessions and for identifies too soon in their bucket, 4010/4011,
 * and a resume taking a session over.
 */
import { REST } from '@discordjs/rest';
import { WebSocketManager, WebSocketShardEvents, type SessionInfo } from '@discordjs/ws';
import { GatewayDispatchEvents, GatewayIntentBits } from 'discord-api-types/v10';
import { Client, Events, Partials, type Message } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  manyGuilds,
  startFakeDiscord,
  type FakeDiscord,
  type FakeDiscordOptions,
} from '../fakes/discord/index.js';

const TOKEN = 'shard-token';
const APP = '1300000000000000001';
const BOT = { id: '1300000000000000002', username: 'chutes' };
const ALICE = { id: '1300000000000000100', username: 'alice' };
const INTENTS =
  GatewayIntentBits.Guilds |
  GatewayIntentBits.GuildMessages |
  GatewayIntentBits.DirectMessages |
  GatewayIntentBits.MessageContent;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(extra: Partial<FakeDiscordOptions> = {}): Promise<FakeDiscord> {
  const fake = await startFakeDiscord({ token: TOKEN, applicationId: APP, botUser: BOT, ...extra });
  cleanups.push(() => fake.close());
  return fake;
}

interface Seen {
  shardId: number;
  t: string;
  s: number;
  d: { id?: string; guild_id?: string; content?: string };
}

/** A WebSocketManager on the fake, recording every dispatch with its shard. */
async function connectManager(fake: FakeDiscord, shardCount: number | null) {
  const rest = new REST({ api: fake.apiUrl }).setToken(TOKEN);
  const sessions = new Map<number, SessionInfo>();
  const manager = new WebSocketManager({
    token: TOKEN,
    intents: INTENTS,
    rest,
    shardCount,
    retrieveSessionInfo: (id) => sessions.get(id) ?? null,
    updateSessionInfo: (id, info) => void (info ? sessions.set(id, info) : sessions.delete(id)),
  });
  const seen: Seen[] = [];
  manager.on(WebSocketShardEvents.Dispatch, ({ data, shardId }) => {
    seen.push({ shardId, t: data.t, s: data.s, d: data.d as Seen['d'] });
  });
  cleanups.push(() => manager.destroy());
  await manager.connect();
  return { manager, seen, sessions };
}

/** A raw gateway connection: the test speaks the protocol itself. */
async function raw(url: string) {
  const ws = new WebSocket(`${url}?v=10&encoding=json`);
  cleanups.push(() => ws.terminate());
  const frames: { op: number; t?: string; s?: number; d: unknown }[] = [];
  let closeCode: number | undefined;
  ws.on('message', (b: Buffer) => frames.push(JSON.parse(b.toString()) as (typeof frames)[0]));
  ws.on('close', (code) => void (closeCode = code));
  await new Promise((r) => ws.once('open', r));
  const send = (op: number, d: unknown) => ws.send(JSON.stringify({ op, d }));
  return {
    frames,
    closeCode: () => closeCode,
    identify: (shard?: [number, number]) =>
      send(2, { token: TOKEN, intents: INTENTS, properties: {}, ...(shard ? { shard } : {}) }),
    resume: (sessionId: string, seq: number) =>
      send(6, { token: TOKEN, session_id: sessionId, seq }),
    close: (code: number) => ws.close(code),
  };
}
type Raw = Awaited<ReturnType<typeof raw>>;
const ready = (c: Raw) =>
  c.frames.find((f) => f.t === 'READY')?.d as
    { session_id: string; resume_gateway_url: string } | undefined;
const invalid = (c: Raw) => c.frames.some((f) => f.op === 9 && f.d === false);

describe('fake Discord shards with @discordjs/ws', () => {
  it('routes guild events to their shard and DMs to shard 0, then resumes a dropped shard with what it missed, exactly once', async () => {
    const guilds = manyGuilds(4);
    const fake = await start({ guilds, recommendedShards: 2, maxConcurrency: 2 });
    const { seen, sessions } = await connectManager(fake, null); // the count from /gateway/bot
    await fake.waitFor(() => fake.connectedShards().length === 2, 5000, 'two shards');
    expect(fake.connectedShards()).toEqual([0, 1]);
    // Each shard got GUILD_CREATE for its own guilds only.
    await fake.waitFor(() => seen.filter((e) => e.t === 'GUILD_CREATE').length === 4);
    for (const e of seen.filter((x) => x.t === 'GUILD_CREATE')) {
      expect(e.shardId).toBe(fake.shardOf(e.d.id!, 2));
    }

    for (const g of guilds) {
      fake.sendMessage({ channelId: g.channels[0]!.id, author: ALICE, content: `in ${g.name}` });
    }
    fake.sendMessage({ channelId: fake.openDm(ALICE), author: ALICE, content: 'a DM' });
    const created = () => seen.filter((e) => e.t === GatewayDispatchEvents.MessageCreate);
    await fake.waitFor(() => created().length === 5, 3000, 'five messages');
    for (const e of created()) {
      expect(e.shardId).toBe(e.d.guild_id ? fake.shardOf(e.d.guild_id, 2) : 0);
    }
    expect(created().find((e) => e.d.content === 'a DM')?.shardId).toBe(0);

    // Shard 1's socket drops; its session lives on and buffers what happens meanwhile.
    const onShard1 = guilds.filter((g) => fake.shardOf(g.id, 2) === 1);
    fake.dropConnections(1);
    expect(fake.gatewaySessions().map((s) => s.shard[0])).toEqual([0, 1]);
    for (const [i, g] of onShard1.entries()) {
      fake.sendMessage({ channelId: g.channels[0]!.id, author: ALICE, content: `missed ${i}` });
    }
    await fake.waitFor(() => seen.some((e) => e.t === 'RESUMED' && e.shardId === 1), 5000);
    fake.sendMessage({ channelId: onShard1[0]!.channels[0]!.id, author: ALICE, content: 'after' });
    await fake.waitFor(() => seen.some((e) => e.d.content === 'after'), 2000, 'after resume');

    const contents = created().map((e) => e.d.content);
    for (const i of onShard1.keys()) {
      expect(contents.filter((c) => c === `missed ${i}`)).toHaveLength(1);
    }
    const shard1 = seen.filter((e) => e.shardId === 1).map((e) => e.s);
    expect(shard1).toEqual([...shard1].sort((a, b) => a - b)); // in order, no repeats
    expect(new Set(shard1).size).toBe(shard1.length);
    // Resumed on the session's own URL, not re-identified.
    const resumedOn = fake.gatewayConnections.find((c) => c.resumed);
    expect(resumedOn?.path).toBe(new URL(sessions.get(1)!.resumeURL).pathname);
    expect(resumedOn?.path).toMatch(/^\/resume\//);
    expect(fake.gatewayStats).toMatchObject({
      identifies: 2,
      resumes: 1,
      invalidSessions: 0,
      refusedIdentifies: {},
      resumesOffUrl: 0,
    });
  });
});

describe('fake Discord shards with discord.js', () => {
  it("runs a Client with shards: 'auto' and sees each guild's messages on its shard", async () => {
    const guilds = manyGuilds(3);
    const fake = await start({ guilds, recommendedShards: 2, maxConcurrency: 2 });
    const client = new Client({
      intents: INTENTS,
      partials: [Partials.Channel],
      shards: 'auto',
      rest: { api: fake.apiUrl },
    });
    cleanups.push(() => client.destroy());
    const isReady = new Promise((r) => client.once(Events.ClientReady, r));
    await client.login(TOKEN);
    await isReady;
    expect(client.guilds.cache.size).toBe(3);
    const got: Message[] = [];
    client.on(Events.MessageCreate, (m) => void got.push(m));
    for (const g of guilds) {
      fake.sendMessage({ channelId: g.channels[0]!.id, author: ALICE, content: g.name });
    }
    fake.sendMessage({ channelId: fake.openDm(ALICE), author: ALICE, content: 'dm' });
    await fake.waitFor(() => got.length === 4, 3000, 'four messages');
    for (const m of got) {
      expect(m.guild ? m.guild.shardId : 0).toBe(m.guildId ? fake.shardOf(m.guildId, 2) : 0);
    }
    expect(fake.connectedShards()).toEqual([0, 1]);
    expect(fake.gatewayStats.refusedIdentifies).toEqual({});
  });
});

describe('fake Discord gateway rules (raw websockets)', () => {
  it('refuses a second identify in a bucket within 5 s, bad shards (4010) and too many guilds (4011)', async () => {
    const fake = await start({ guilds: manyGuilds(6), maxConcurrency: 2, maxGuildsPerShard: 2 });
    const a = await raw(fake.gatewayUrl);
    a.identify([0, 4]);
    await fake.waitFor(() => ready(a), 2000, 'shard 0 ready');
    const b = await raw(fake.gatewayUrl);
    b.identify([2, 4]); // bucket 2 % 2 = 0, like shard 0
    const c = await raw(fake.gatewayUrl);
    c.identify([1, 4]); // bucket 1: free
    await fake.waitFor(() => invalid(b) && ready(c), 2000, 'b refused, c ready');
    expect(ready(b)).toBeUndefined();
    expect(fake.gatewayStats.refusedIdentifies).toEqual({ 0: 1 });
    expect(fake.gatewayStats.identifies).toBe(2);
    expect(fake.connectedShards()).toEqual([0, 1]);

    const bad = await raw(fake.gatewayUrl);
    bad.identify([4, 4]);
    const tooFew = await raw(fake.gatewayUrl);
    tooFew.identify([1, 2]); // 3 of the 6 guilds on shard 1 of 2: more than 2
    await fake.waitFor(() => bad.closeCode() && tooFew.closeCode(), 2000, 'closes');
    expect([bad.closeCode(), tooFew.closeCode()]).toEqual([4010, 4011]);
  });

  it('answers op 9 to unknown, ended, expired and off-URL resumes, and lets a resume take a session over', async () => {
    const fake = await start({ identifyWindowMs: 0, sessionResumableMs: 150 });
    const unknown = await raw(fake.gatewayUrl);
    unknown.resume('no-such-session', 1);

    const held = await raw(fake.gatewayUrl);
    held.identify();
    const r = await fake.waitFor(() => ready(held), 2000, 'ready');
    const offUrl = await raw(fake.gatewayUrl); // not the session's resume_gateway_url
    offUrl.resume(r.session_id, 1);
    await fake.waitFor(() => invalid(unknown) && invalid(offUrl), 2000, 'op 9s');
    expect(fake.gatewayStats.resumesOffUrl).toBe(1);

    // Take-over: the connection still holding the session is closed.
    const taker = await raw(r.resume_gateway_url);
    taker.resume(r.session_id, 1);
    await fake.waitFor(() => taker.frames.some((f) => f.t === 'RESUMED'), 2000, 'resumed');
    await fake.waitFor(() => held.closeCode(), 2000, 'old connection closed');
    expect(held.closeCode()).toBe(4009);
    expect(fake.gatewayConnections.find((c) => c.resumed)?.sessionId).toBe(r.session_id);

    // Closing with 1000 ends the session; a dropped one expires after sessionResumableMs.
    taker.close(1000);
    await fake.waitFor(() => fake.gatewaySessions().length === 0, 2000, 'session ended');
    const late = await raw(r.resume_gateway_url);
    late.resume(r.session_id, 1);

    const other = await raw(fake.gatewayUrl);
    other.identify();
    const r2 = await fake.waitFor(() => ready(other), 2000, 'second ready');
    fake.dropConnections();
    await fake.waitFor(() => fake.gatewaySessions()[0]?.connected === false, 2000, 'dropped');
    await fake.waitFor(() => fake.gatewaySessions().length === 0, 2000, 'session expired');
    const expired = await raw(r2.resume_gateway_url);
    expired.resume(r2.session_id, 1);
    await fake.waitFor(() => invalid(late) && invalid(expired), 2000, 'op 9 for both');
    expect(fake.gatewayStats).toMatchObject({ resumes: 1, invalidSessions: 4 });
  });
});
