import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANN, BOB, channel, GUILD, interactionAnswer, startStack, type Stack } from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  expect(stack.discord.rateLimited).toEqual([]);
});

/** Member permission bitfields: Manage Server is 0x20. */
const ADMIN = String(0x20 | 0x400 | 0x800);
const MEMBER = String(0x400 | 0x800);
const STRING = 3;
const INTEGER = 4;
const NUMBER = 10;
const SUBCOMMAND = 1;

type ChatBody = {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
};

function lastChatBody(): ChatBody {
  const requests = stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
  return requests.at(-1)!.body as ChatBody;
}

function answerOf(interactionId: string, timeoutMs = 15_000) {
  return interactionAnswer(stack, interactionId, timeoutMs);
}

function settings(
  sub: 'show' | 'set' | 'reset',
  user = ANN,
  permissions = ADMIN,
  options: unknown[] = [],
) {
  return stack.discord.sendInteraction({
    name: 'settings',
    options: [{ name: sub, type: SUBCOMMAND, options }],
    guildId: GUILD,
    channelId: channel(1),
    user,
    permissions,
  });
}

async function mention(channelId: string, text: string) {
  const before = stack.chutes.requests.length;
  stack.discord.sendMessage({ channelId, author: ANN, content: text, mentionsBot: true });
  await stack.discord.waitFor(
    () => stack.botMessages(channelId).some((m) => m.content.includes(text)),
    15_000,
    `the answer to "${text}"`,
  );
  expect(stack.chutes.requests.length).toBeGreaterThan(before);
  return lastChatBody();
}

describe('slash commands, end to end', () => {
  it('registers /imagine, /settings, /forget, /usage and /help at start', () => {
    expect(stack.discord.commands.map((c) => c.name)).toEqual([
      'imagine',
      'settings',
      'forget',
      'usage',
      'help',
    ]);
  });

  it('/help answers privately with what this member may run, and admins see theirs', async () => {
    const help = (user: typeof ANN, permissions: string) =>
      answerOf(
        stack.discord.sendInteraction({
          name: 'help',
          guildId: GUILD,
          channelId: channel(6),
          user,
          permissions,
        }).id,
      );
    const member = await help(BOB, MEMBER);
    expect(member.callback?.flags).toBe(64);
    const lines = member.original!.content.split('\n');
    expect(lines[0]).toBe('**Commands you can use here**');
    expect(lines.slice(1).map((line) => /^• `([^`]*)`/.exec(line)?.[1])).toEqual([
      '/imagine prompt:<prompt> [size:1024x768] [seed:7] [negative_prompt:<what to avoid>]',
      '/settings show [channel:<channel>]',
      '/forget',
      '/help',
    ]);
    const admin = await help(ANN, ADMIN);
    expect(admin.original!.content).toContain(
      '• `/settings set [channel:<channel>] <key>:<value> …` — Change one or more settings, everywhere or in one channel (Manage Server)',
    );
    expect(admin.original!.content).toContain('• `/usage` — ');
  });

  it('/imagine defers within 3 s and posts the exact image even when generation takes 10 s', async () => {
    stack.chutes.scriptImage({ mode: 'bytes-png', delayMs: 10_000 });
    const sent = stack.discord.sendInteraction({
      name: 'imagine',
      options: [
        { name: 'prompt', type: STRING, value: 'a lighthouse in a storm, oil painting' },
        { name: 'size', type: STRING, value: '1024x768' },
        { name: 'seed', type: INTEGER, value: 7 },
      ],
      guildId: GUILD,
      channelId: channel(2),
      user: ANN,
      permissions: MEMBER,
    });
    const callback = await sent.callback;
    expect(callback.acknowledged).toBe(true);
    if (callback.acknowledged) {
      expect(callback.type).toBe(5);
      expect(callback.latencyMs).toBeLessThan(3_000);
      expect(callback.flags & 64).toBe(0);
    }
    const state = await answerOf(sent.id, 20_000);
    const [attachment] = state.original!.attachments;
    expect(attachment).toBeDefined();
    expect(Buffer.compare(attachment!.bytes, stack.chutes.lastImageBytes!)).toBe(0);
    expect(attachment!.filename).toMatch(/\.png$/);
    expect(state.original!.content).toContain('a lighthouse in a storm, oil painting');
    expect(state.original!.content).toContain('image-model');
    const request = stack.chutes.requests.filter((r) => r.path === '/generate').at(-1)!;
    expect(request.valid).toBe(true);
    expect(request.body).toMatchObject({ model: 'image-model', width: 1024, height: 768, seed: 7 });
    expect(request.body).not.toHaveProperty('negative_prompt');
  }, 40_000);

  it('/imagine turns a Chutes error into a clear answer instead of thinking forever', async () => {
    stack.chutes.scriptImage({ error: { status: 404, body: { detail: 'model not found' } } });
    const sent = stack.discord.sendInteraction({
      name: 'imagine',
      options: [{ name: 'prompt', type: STRING, value: 'a cat' }],
      guildId: GUILD,
      channelId: channel(2),
      user: ANN,
      permissions: MEMBER,
    });
    const state = await answerOf(sent.id);
    expect(state.original!.content).toContain('not available');
    expect(state.original!.attachments).toHaveLength(0);
  });

  it("/imagine respects the interaction's attachment size limit", async () => {
    stack.chutes.scriptImage({ mode: 'bytes-png', sizeBytes: 50_000 });
    const sent = stack.discord.sendInteraction({
      name: 'imagine',
      options: [{ name: 'prompt', type: STRING, value: 'a big one' }],
      guildId: GUILD,
      channelId: channel(2),
      user: ANN,
      permissions: MEMBER,
      attachmentSizeLimit: 20_000,
    });
    const state = await answerOf(sent.id);
    expect(state.original!.content).toContain('more than');
    expect(state.original!.attachments).toHaveLength(0);
  });

  it('refuses /settings set to a member without Manage Server, and changes nothing', async () => {
    const sent = settings('set', BOB, MEMBER, [{ name: 'temperature', type: NUMBER, value: 1.5 }]);
    const state = await answerOf(sent.id);
    expect(state.callback?.flags).toBe(64);
    expect(state.original!.content).toContain('Manage Server');
    expect((await mention(channel(3), 'still default?')).temperature).toBe(0.7);
  });

  it("an admin's /settings set changes the next Chutes request", async () => {
    const sent = settings('set', ANN, ADMIN, [
      { name: 'temperature', type: NUMBER, value: 0.2 },
      { name: 'model', type: STRING, value: 'model-b' },
    ]);
    const state = await answerOf(sent.id);
    expect(state.original!.content).toContain('Settings updated');
    expect(state.original!.content).toMatch(/temperature\*\*: `0\.2`/);
    const body = await mention(channel(3), 'now with new settings');
    expect(body.model).toBe('model-b');
    expect(body.temperature).toBe(0.2);
  });

  it('rejects invalid values and unknown models with what is allowed, storing nothing', async () => {
    const bad = settings('set', ANN, ADMIN, [
      { name: 'top_p', type: NUMBER, value: 0 },
      { name: 'max_tokens', type: INTEGER, value: 64 },
    ]);
    const badState = await answerOf(bad.id);
    expect(badState.original!.content).toContain('Nothing was changed');
    expect(badState.original!.content).toContain('top_p');
    const unknown = settings('set', ANN, ADMIN, [
      { name: 'model', type: STRING, value: 'no-such-model' },
    ]);
    expect((await answerOf(unknown.id)).original!.content).toContain('not a Chutes model');
    const { rows } = await stack.database.pool.query(
      'SELECT model, top_p, max_tokens FROM tenant_settings',
    );
    expect(rows).toEqual([{ model: 'model-b', top_p: null, max_tokens: null }]);
  });

  it('/settings show marks defaults and overrides; reset goes back to defaults', async () => {
    const shown = await answerOf(settings('show', BOB, MEMBER).id);
    expect(shown.callback?.flags).toBe(64);
    expect(shown.original!.content).toMatch(/model\*\*: `model-b` _\(server; default: model-a\)_/);
    expect(shown.original!.content).toMatch(/max_tokens\*\*: `1024` _\(default\)_/);
    const reset = await answerOf(settings('reset').id);
    expect(reset.original!.content).toContain('reset');
    expect((await mention(channel(3), 'after reset')).model).toBe('model-a');
    const { rows } = await stack.database.pool.query(
      'SELECT count(*)::int AS n FROM settings_audit',
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(4);
  });

  it('offers the Chutes models as autocomplete for the model option', async () => {
    const sent = stack.discord.sendInteraction({
      type: 4,
      name: 'settings',
      options: [
        {
          name: 'set',
          type: SUBCOMMAND,
          options: [{ name: 'model', type: STRING, value: 'model', focused: true }],
        },
      ],
      guildId: GUILD,
      channelId: channel(1),
      user: ANN,
      permissions: ADMIN,
    });
    const callback = await sent.callback;
    expect(callback.acknowledged && callback.type).toBe(8);
    if (callback.acknowledged) {
      expect(callback.data.choices).toEqual([
        // Each with its price per million tokens and whether it takes images.
        { name: 'model-a · $0.2/$0.8 per M tokens · text only', value: 'model-a' },
        { name: 'model-b · $0.2/$0.8 per M tokens · text only', value: 'model-b' },
      ]);
    }
  });

  it('/forget empties the history that the next request carries', async () => {
    await mention(channel(4), 'remember the word banana');
    expect(
      (await mention(channel(4), 'what word?')).messages.map((m) => m.content).join(),
    ).toContain('banana');
    const forgot = await answerOf(
      stack.discord.sendInteraction({
        name: 'forget',
        guildId: GUILD,
        channelId: channel(4),
        user: BOB,
        permissions: MEMBER,
      }).id,
    );
    expect(forgot.original!.content).toContain('4 messages');
    const body = await mention(channel(4), 'anything left?');
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    const { rows } = await stack.database.pool.query(
      'SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_key = $1',
      [channel(4)],
    );
    expect(rows[0].n).toBe(2);
  });

  it('/forget waits for an answer still streaming in the channel, so nothing comes back', async () => {
    stack.chutes.script({ chunks: ['slow ', 'answer ', 'here'], chunkDelayMs: 700 });
    stack.discord.sendMessage({
      channelId: channel(5),
      author: ANN,
      content: 'take your time',
      mentionsBot: true,
    });
    await stack.discord.waitFor(
      () => stack.botMessages(channel(5)).length > 0,
      5_000,
      'the placeholder',
    );
    const forgot = await answerOf(
      stack.discord.sendInteraction({
        name: 'forget',
        guildId: GUILD,
        channelId: channel(5),
        user: ANN,
        permissions: MEMBER,
      }).id,
    );
    expect(stack.botMessages(channel(5))[0]!.content).toBe('slow answer here');
    expect(forgot.original!.content).toContain('2 messages');
    const { rows } = await stack.database.pool.query(
      'SELECT count(*)::int AS n FROM conversation_messages WHERE conversation_key = $1',
      [channel(5)],
    );
    expect(rows[0].n).toBe(0);
  });
});
