import {
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  Partials,
  REST,
  Routes,
  type ChatInputCommandInteraction,
  type Message,
} from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  startFakeDiscord,
  type FakeDiscord,
  type FakeDiscordOptions,
} from '../fakes/discord/index.js';

const TOKEN = 'test-token';
const APP = '1300000000000000001';
const BOT = { id: '1300000000000000002', username: 'chutes' };
const GUILD = '1300000000000000010';
const GENERAL = '1300000000000000011';
const THREAD = '1300000000000000012';
const ALICE = { id: '1300000000000000100', username: 'alice' };

const COMMANDS = [
  {
    name: 'ask',
    description: 'Ask a model',
    options: [
      { type: 3, name: 'prompt', description: 'What to ask', required: true },
      { type: 3, name: 'model', description: 'Which model', autocomplete: true },
    ],
  },
  { name: 'settings', description: 'Server settings', default_member_permissions: '32' },
];

let discord: FakeDiscord | undefined;
const clients: Client[] = [];

async function start(extra: Partial<FakeDiscordOptions> = {}): Promise<FakeDiscord> {
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: APP,
    botUser: BOT,
    guilds: [
      {
        id: GUILD,
        name: 'Test server',
        channels: [{ id: GENERAL, name: 'general', type: 0 }],
        threads: [{ id: THREAD, name: 'a thread', parentId: GENERAL }],
      },
    ],
    ...extra,
  });
  return discord;
}

async function login(
  fake: FakeDiscord,
  intents: GatewayIntentBits[] = [
    GatewayIntentBits.Guilds,
    GatewayIntentBits.GuildMessages,
    GatewayIntentBits.DirectMessages,
    GatewayIntentBits.MessageContent,
  ],
): Promise<Client> {
  const client = new Client({ intents, partials: [Partials.Channel], rest: { api: fake.apiUrl } });
  clients.push(client);
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(TOKEN);
  await ready;
  return client;
}

const rest = (fake: FakeDiscord, token = TOKEN) =>
  new REST({ api: fake.apiUrl, retries: 0 }).setToken(token);

async function apiError(promise: Promise<unknown>): Promise<DiscordAPIError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiscordAPIError);
  return err as DiscordAPIError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  await discord?.close();
  discord = undefined;
});

describe('fake Discord with the real discord.js client', () => {
  it('logs in and turns ready at once, with guild, channels, thread and own member cached', async () => {
    const fake = await start();
    const started = Date.now();
    const client = await login(fake);
    expect(Date.now() - started).toBeLessThan(2000);
    const guild = client.guilds.cache.get(GUILD);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.get(GENERAL)?.isTextBased()).toBe(true);
    expect(guild?.channels.cache.get(THREAD)?.isThread()).toBe(true);
    expect(guild?.members.me?.id).toBe(BOT.id);
    expect(client.user?.id).toBe(BOT.id);
    expect(fake.gatewayConnections[0]?.identify?.intents).toBeGreaterThan(0);
  });

  it('delivers messageCreate from a guild channel, a thread and a DM', async () => {
    const fake = await start();
    const client = await login(fake);
    const seen: Message[] = [];
    client.on(Events.MessageCreate, (m) => void seen.push(m));
    const dm = fake.openDm(ALICE);
    fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'hello guild' });
    fake.sendMessage({
      channelId: THREAD,
      author: ALICE,
      content: 'hello thread',
      mentionsBot: true,
    });
    fake.sendMessage({ channelId: dm, author: ALICE, content: 'hello dm' });
    await fake.waitFor(() => seen.length === 3, 2000, 'three messages');
    expect(seen.map((m) => m.content)).toEqual([
      'hello guild',
      `<@${BOT.id}> hello thread`,
      'hello dm',
    ]);
    expect(seen[0]?.guildId).toBe(GUILD);
    expect(seen[1]?.channel.isThread()).toBe(true);
    expect(seen[1]?.mentions.users.has(BOT.id)).toBe(true);
    expect(seen[2]?.channel.isDMBased()).toBe(true);
    expect(seen[2]?.author.id).toBe(ALICE.id);
    await seen[2]?.reply('dm answer');
    expect(fake.messages(dm).map((m) => m.content)).toEqual(['hello dm', 'dm answer']);
  });

  it('blanks content without the Message Content intent unless the bot is mentioned', async () => {
    const fake = await start();
    const client = await login(fake, [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages]);
    const seen: Message[] = [];
    client.on(Events.MessageCreate, (m) => void seen.push(m));
    fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'secret' });
    fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'hi', mentionsBot: true });
    await fake.waitFor(() => seen.length === 2, 2000);
    expect(seen.map((m) => m.content)).toEqual(['', `<@${BOT.id}> hi`]);
  });

  it('records replies, edits and deletes, and echoes the bot its own messages', async () => {
    const fake = await start();
    const client = await login(fake);
    const own: Message[] = [];
    client.on(Events.MessageCreate, (m) => {
      if (m.author.id === BOT.id) own.push(m);
    });
    const asked = fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'question' });
    const channel = client.channels.cache.get(GENERAL);
    if (!channel?.isSendable()) throw new Error('channel not sendable');
    await channel.sendTyping();
    const original = await channel.messages.fetch(asked.id);
    const reply = await original.reply('thinking');
    await reply.edit('answer');
    const extra = await channel.send('temporary');
    await extra.delete();

    const [first, second] = fake.messages(GENERAL);
    expect(first?.id).toBe(asked.id);
    expect(second?.messageReference?.messageId).toBe(asked.id);
    expect(second?.mentions.map((u) => u.id)).toEqual([ALICE.id]);
    expect(second?.content).toBe('answer');
    expect(second?.editCount).toBe(1);
    expect(second?.edits.map((e) => e.content)).toEqual(['answer']);
    expect(fake.messages(GENERAL)).toHaveLength(2);
    expect(fake.messages(GENERAL, { includeDeleted: true })[2]?.deleted).toBe(true);
    await fake.waitFor(() => own.length === 2, 2000, 'own messages echoed');
    const typing = fake.requests.find((r) => r.path.endsWith('/typing'));
    expect(typing?.status).toBe(204);
  });

  it('validates message bodies like Discord', async () => {
    const fake = await start();
    const api = rest(fake);
    const long = await apiError(
      api.post(Routes.channelMessages(GENERAL), { body: { content: 'x'.repeat(2001) } }),
    );
    expect(long.status).toBe(400);
    expect(long.code).toBe(50035);
    expect(long.rawError).toMatchObject({
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } },
    });
    const empty = await apiError(
      api.post(Routes.channelMessages(GENERAL), { body: { content: '  ' } }),
    );
    expect(empty.code).toBe(50006);
    const unknown = await apiError(
      api.post(Routes.channelMessages('1300000000000009999'), { body: { content: 'x' } }),
    );
    expect(unknown.code).toBe(10003);
    const alices = fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'mine' });
    const notMine = await apiError(
      api.patch(Routes.channelMessage(GENERAL, alices.id), { body: { content: 'no' } }),
    );
    expect(notMine.code).toBe(50005);
    const big = await apiError(
      api.post(Routes.channelMessages(GENERAL), {
        files: [{ name: 'big.bin', data: Buffer.alloc(10 * 1024 * 1024 + 1) }],
      }),
    );
    expect(big.status).toBe(413);
    expect(big.code).toBe(40005);
  });

  it('enforces the per-channel bucket that posts and edits share, with Discord 429s, and resets on time', async () => {
    const fake = await start({ rates: { messagesPerChannel: { points: 3, windowMs: 400 } } });
    const posted = (await rest(fake).post(Routes.channelMessages(GENERAL), {
      body: { content: 'a' },
    })) as {
      id: string;
    };
    const url = `${fake.apiUrl}/v10/channels/${GENERAL}/messages/${posted.id}`;
    const edit = (content: string) =>
      fetch(url, {
        method: 'PATCH',
        headers: { Authorization: `Bot ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ content }),
      });
    // The post took the first of the three points.
    const r1 = await edit('b');
    const r2 = await edit('c');
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect(r1.headers.get('x-ratelimit-limit')).toBe('3');
    expect(r2.headers.get('x-ratelimit-remaining')).toBe('0');
    const r3 = await edit('d');
    expect(r3.status).toBe(429);
    expect(r3.headers.get('retry-after')).toBe('1');
    expect(r3.headers.get('x-ratelimit-scope')).toBe('user');
    expect(r3.headers.has('x-ratelimit-global')).toBe(false);
    expect(r3.headers.get('x-ratelimit-bucket')).toBe(r1.headers.get('x-ratelimit-bucket'));
    expect(Number(r3.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(0);
    expect(Number(r3.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    const body = (await r3.json()) as { message: string; retry_after: number; global: boolean };
    expect(body.message).toBe('You are being rate limited.');
    expect(body.global).toBe(false);
    expect(body.retry_after).toBeGreaterThan(0);
    expect(body.retry_after).toBeLessThanOrEqual(0.4);
    // A new post in the channel is refused too: the bucket is shared.
    const post = await fetch(`${fake.apiUrl}/v10/channels/${GENERAL}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bot ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'another' }),
    });
    expect(post.status).toBe(429);
    expect(post.headers.get('x-ratelimit-bucket')).toBe(r1.headers.get('x-ratelimit-bucket'));
    expect(fake.rateLimited.map((r) => r.scope)).toEqual(['user', 'user']);
    expect(fake.rateLimited[0]?.route).toBe('POST|PATCH /channels/:id/messages');

    await sleep(body.retry_after * 1000 + 20);
    // @discordjs/rest reads the headers and queues instead of earning more 429s. (It starts
    // a fresh queue once it learns the bucket hash, so it would 429 if the window were spent.)
    const api = rest(fake);
    for (let i = 0; i < 5; i++) {
      await api.patch(Routes.channelMessage(GENERAL, posted.id), { body: { content: `q${i}` } });
    }
    expect(fake.rateLimited).toHaveLength(2);
    expect(fake.message(posted.id)?.content).toBe('q4');
    expect(fake.message(posted.id)?.editCount).toBe(7);
  });

  it('starts threads from messages: the message id, THREAD_CREATE with the bot as owner, a bucket per channel', async () => {
    const fake = await start({ rates: { threadsPerChannel: { points: 2, windowMs: 60_000 } } });
    const client = await login(fake);
    const created = new Promise<{ id: string; ownerId: string | null }>((resolve) =>
      client.once(Events.ThreadCreate, (thread) => resolve(thread)),
    );
    const question = fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'why?' });
    const open = (messageId: string) =>
      fetch(`${fake.apiUrl}/v10/channels/${GENERAL}/messages/${messageId}/threads`, {
        method: 'POST',
        headers: { Authorization: `Bot ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'why?' }),
      });
    const first = await open(question.id);
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ id: question.id, parent_id: GENERAL, type: 11 });
    expect(await created).toMatchObject({ id: question.id, ownerId: BOT.id });
    const again = await open(question.id);
    expect([again.status, ((await again.json()) as { code: number }).code]).toEqual([400, 160004]);
    const second = fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'and?' });
    expect((await open(second.id)).status).toBe(429);
    expect(fake.rateLimited.at(-1)?.route).toBe('POST /channels/:id/messages/:id/threads');
    // Messages in the new thread reach the bot with the thread as their channel.
    const inThread = new Promise<Message>((resolve) =>
      client.once(Events.MessageCreate, (m) => resolve(m)),
    );
    fake.sendMessage({ channelId: question.id, author: ALICE, content: 'in the thread' });
    const message = await inThread;
    expect(message.channel.isThread() && message.channel.ownerId).toBe(BOT.id);
    expect(message.content).toBe('in the thread');
  });

  it("adds and removes the bot's own reactions, within their own per-channel bucket", async () => {
    const fake = await start();
    const question = fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'hi' });
    const emoji = encodeURIComponent('⏳');
    const url = `${fake.apiUrl}/v10/channels/${GENERAL}/messages/${question.id}/reactions/${emoji}/@me`;
    const call = (method: string) =>
      fetch(url, { method, headers: { Authorization: `Bot ${TOKEN}` } });
    expect((await call('PUT')).status).toBe(204);
    expect(fake.message(question.id)!.reactions).toMatchObject([{ emoji: '⏳', userId: BOT.id }]);
    // One reaction per 0.25 s per channel.
    const tooSoon = await call('DELETE');
    expect(tooSoon.status).toBe(429);
    expect(fake.rateLimited.at(-1)?.route).toBe('PUT|DELETE /channels/:id/messages/:id/reactions');
    await sleep(300);
    expect((await call('DELETE')).status).toBe(204);
    expect(fake.message(question.id)!.reactions[0]!.removedAt).toBeGreaterThan(0);
    // Through @discordjs/rest too.
    await sleep(300);
    await rest(fake).put(Routes.channelMessageOwnReaction(GENERAL, question.id, emoji));
    expect(fake.message(question.id)!.reactions.filter((r) => !r.removedAt)).toHaveLength(1);
    // Messages are untouched by reactions: their bucket is another one.
    expect(fake.rateLimited).toHaveLength(1);
  });

  it('enforces the global limit with X-RateLimit-Global', async () => {
    const fake = await start({ rates: { global: { points: 3, windowMs: 300 } } });
    const get = () =>
      fetch(`${fake.apiUrl}/v10/users/@me`, { headers: { Authorization: `Bot ${TOKEN}` } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await get());
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    const limited = statuses[3];
    expect(limited?.headers.get('x-ratelimit-global')).toBe('true');
    expect(limited?.headers.get('x-ratelimit-scope')).toBe('global');
    expect(((await limited?.json()) as { global: boolean }).global).toBe(true);
    expect(fake.rateLimited[0]?.scope).toBe('global');
  });

  it('answers 401 to a wrong token on REST and closes the gateway with 4004', async () => {
    const fake = await start();
    const bad = await apiError(rest(fake, 'wrong').get(Routes.user('@me')));
    expect(bad.status).toBe(401);
    expect(bad.rawError).toEqual({ message: '401: Unauthorized', code: 0 });
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    clients.push(client);
    await expect(client.login('wrong')).rejects.toThrow();

    const ws = new WebSocket(`${fake.gatewayUrl}/?v=10&encoding=json`);
    const code = await new Promise<number>((resolve) => {
      ws.on('message', (raw: Buffer) => {
        const hello = JSON.parse(raw.toString()) as { op: number };
        if (hello.op === 10)
          ws.send(JSON.stringify({ op: 2, d: { token: 'wrong', intents: 1, properties: {} } }));
      });
      ws.on('close', (c) => resolve(c));
    });
    expect(code).toBe(4004);
  });

  it('resumes after a dropped connection and replays what was missed', async () => {
    const fake = await start();
    const client = await login(fake);
    const seen: string[] = [];
    client.on(Events.MessageCreate, (m) => void seen.push(m.content));
    fake.dropConnections(4000);
    fake.sendMessage({ channelId: GENERAL, author: ALICE, content: 'while away' });
    await fake.waitFor(
      () => fake.gatewayConnections.some((c) => c.resumed && c.open),
      5000,
      'resume',
    );
    await fake.waitFor(() => seen.includes('while away'), 2000, 'replayed message');
  });
});

describe('fake Discord interactions and commands', () => {
  async function withCommands(extra: Partial<FakeDiscordOptions> = {}) {
    const fake = await start(extra);
    await rest(fake).put(Routes.applicationCommands(APP), { body: COMMANDS });
    const client = await login(fake);
    return { fake, client };
  }

  it('bulk-overwrites commands, keeps ids by name and validates them', async () => {
    const fake = await start();
    const api = rest(fake);
    const first = (await api.put(Routes.applicationCommands(APP), { body: COMMANDS })) as {
      id: string;
      name: string;
    }[];
    expect(first.map((c) => c.name)).toEqual(['ask', 'settings']);
    const second = (await api.put(Routes.applicationCommands(APP), { body: [COMMANDS[0]] })) as {
      id: string;
    }[];
    expect(second[0]?.id).toBe(first[0]?.id);
    expect(fake.commands.map((c) => c.name)).toEqual(['ask']);
    expect(await api.get(Routes.applicationCommands(APP))).toHaveLength(1);
    const invalid = await apiError(
      api.put(Routes.applicationCommands(APP), { body: [{ name: 'Bad Name', description: 'x' }] }),
    );
    expect(invalid.code).toBe(50035);
    expect(fake.commands).toHaveLength(1);
  });

  it('hides commands from members without default_member_permissions', async () => {
    const { fake } = await withCommands();
    expect(() =>
      fake.sendInteraction({ name: 'settings', channelId: GENERAL, user: ALICE, permissions: '0' }),
    ).toThrow(/default_member_permissions/);
    expect(() => fake.sendInteraction({ name: 'nope', channelId: GENERAL, user: ALICE })).toThrow(
      /not registered/,
    );
  });

  it('refuses a callback after the deadline with 10062', async () => {
    const { fake, client } = await withCommands({ interactionDeadlineMs: 150 });
    const errors: unknown[] = [];
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      await sleep(250);
      await i.reply('too late').catch((e: unknown) => errors.push(e));
    });
    const sent = fake.sendInteraction({
      name: 'ask',
      channelId: GENERAL,
      user: ALICE,
      options: [{ type: 3, name: 'prompt', value: 'hi' }],
    });
    expect(await sent.callback).toEqual({ acknowledged: false, reason: 'deadline' });
    await fake.waitFor(() => errors.length === 1, 2000);
    expect((errors[0] as DiscordAPIError).code).toBe(10062);
    expect(fake.interactionState(sent.id)?.rejectedCallbacks).toEqual([
      expect.objectContaining({ status: 404, code: 10062 }),
    ]);
  });

  it('defers, then edits @original with a file whose bytes are kept exactly', async () => {
    const { fake, client } = await withCommands();
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 254, 255]);
    const seen: ChatInputCommandInteraction[] = [];
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      seen.push(i);
      await i.deferReply();
      await i.editReply({
        content: `prompt: ${i.options.getString('prompt')}`,
        files: [{ attachment: bytes, name: 'image.png' }],
      });
    });
    const sent = fake.sendInteraction({
      name: 'ask',
      channelId: GENERAL,
      user: ALICE,
      options: [{ type: 3, name: 'prompt', value: 'a cat' }],
    });
    const outcome = await sent.callback;
    expect(outcome).toMatchObject({ acknowledged: true, type: 5, flags: 0 });
    const state = await fake.waitFor(
      () => {
        const s = fake.interactionState(sent.id);
        return s?.original?.editCount ? s : undefined;
      },
      2000,
      '@original edited',
    );
    expect(state.original?.content).toBe('prompt: a cat');
    expect(state.original?.flags).toBe(0);
    const [file] = state.original?.attachments ?? [];
    expect(file?.filename).toBe('image.png');
    expect(file?.contentType).toBe('image/png');
    expect(file?.bytes.equals(bytes)).toBe(true);
    expect(fake.messages(GENERAL).map((m) => m.id)).toContain(state.original?.id);
    const edit = fake.requests.find(
      (r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'),
    );
    expect(edit?.status).toBe(200);

    // A second acknowledgement is refused.
    const again = await apiError(
      rest(fake).post(Routes.interactionCallback(sent.id, sent.token), {
        body: { type: 4, data: { content: 'x' } },
        auth: false,
      }),
    );
    expect(again.code).toBe(40060);
    expect(seen[0]?.memberPermissions?.bitfield).toBeGreaterThan(0n);
  });

  it('rejects a file over the interaction attachment_size_limit with 413', async () => {
    const { fake, client } = await withCommands();
    const errors: unknown[] = [];
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: 64 });
      await i
        .editReply({ files: [{ attachment: Buffer.alloc(2048), name: 'big.bin' }] })
        .catch((e: unknown) => errors.push(e));
    });
    const sent = fake.sendInteraction({
      name: 'ask',
      channelId: GENERAL,
      user: ALICE,
      attachmentSizeLimit: 1024,
    });
    expect(await sent.callback).toMatchObject({ acknowledged: true, type: 5, flags: 64 });
    await fake.waitFor(() => errors.length === 1, 2000);
    expect((errors[0] as DiscordAPIError).status).toBe(413);
    expect((errors[0] as DiscordAPIError).code).toBe(40005);
    // Ephemeral replies never show up in the channel.
    expect(fake.messages(GENERAL)).toHaveLength(0);
  });

  it('answers edits of @original before any callback with Unknown Message', async () => {
    const { fake } = await withCommands();
    const sent = fake.sendInteraction({ name: 'ask', channelId: GENERAL, user: ALICE });
    const early = await apiError(
      rest(fake).patch(Routes.webhookMessage(APP, sent.token), {
        body: { content: 'x' },
        auth: false,
      }),
    );
    expect(early.code).toBe(10008);
    // Some clients send the id URL-encoded; it is the same route.
    const encoded = await fetch(
      `${fake.apiUrl}/v10/webhooks/${APP}/${sent.token}/messages/%40original`,
    );
    expect(encoded.status).toBe(404);
    expect(((await encoded.json()) as { code: number }).code).toBe(10008);
  });

  it('answers a command in a DM with a reply and a follow-up', async () => {
    const { fake, client } = await withCommands();
    const dm = fake.openDm(ALICE);
    const inDm: boolean[] = [];
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      inDm.push(i.channel?.isDMBased() ?? false);
      await i.reply('first');
      await i.followUp('second');
    });
    const sent = fake.sendInteraction({ name: 'ask', channelId: dm, user: ALICE });
    expect(await sent.callback).toMatchObject({ acknowledged: true, type: 4 });
    await fake.waitFor(() => fake.interactionState(sent.id)?.followups.length, 2000, 'follow-up');
    expect(inDm).toEqual([true]);
    expect(fake.interactionState(sent.id)?.original?.content).toBe('first');
    expect(fake.messages(dm).map((m) => m.content)).toEqual(['first', 'second']);
  });

  it('takes autocomplete results only for autocomplete interactions', async () => {
    const { fake, client } = await withCommands();
    client.on(Events.InteractionCreate, async (i) => {
      if (i.isAutocomplete()) await i.respond([{ name: 'llama', value: 'llama' }]);
    });
    const sent = fake.sendInteraction({
      type: 4,
      name: 'ask',
      channelId: GENERAL,
      user: ALICE,
      options: [{ type: 3, name: 'model', value: 'll', focused: true }],
    });
    expect(await sent.callback).toMatchObject({
      acknowledged: true,
      type: 8,
      data: { choices: [{ name: 'llama', value: 'llama' }] },
    });
    const command = fake.sendInteraction({ name: 'ask', channelId: GENERAL, user: ALICE });
    const wrong = await apiError(
      rest(fake).post(Routes.interactionCallback(command.id, command.token), {
        body: { type: 8, data: { choices: [] } },
        auth: false,
      }),
    );
    expect(wrong.code).toBe(50035);
  });
});
