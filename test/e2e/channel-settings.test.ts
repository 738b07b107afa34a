/**
 * Settings of one channel, end to end on both platforms: an admin sets a
 * model for a channel, and the Chutes request of a question there carries
 * it, one in another channel does not, and one in a thread of that channel
 * does; the server's (workspace's) values count where the channel has none.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ANN,
  BOB,
  BOT,
  channel,
  GUILD,
  interactionAnswer,
  SLACK,
  startStack,
  THREAD,
  type Stack,
} from './stack.js';

type ChatBody = { model: string; temperature?: number; max_tokens?: number };

/** Member permission bitfields: Manage Server is 0x20. */
const ADMIN = String(0x20 | 0x400 | 0x800);
const MEMBER = String(0x400 | 0x800);
const SUBCOMMAND = 1;
const STRING = 3;
const INTEGER = 4;
const CHANNEL = 7;
const NUMBER = 10;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ slack: {} });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  expect(stack.rateLimited()).toEqual([]);
});

const chatBodies = () =>
  stack.chutes.requests
    .filter((r) => r.path.endsWith('/chat/completions'))
    .map((r) => r.body as ChatBody);

describe('per-channel settings on Discord', () => {
  async function settings(
    sub: 'show' | 'set' | 'reset',
    options: unknown[] = [],
    where = channel(2),
    permissions = ADMIN,
  ): Promise<string> {
    const sent = stack.discord.sendInteraction({
      name: 'settings',
      options: [{ name: sub, type: SUBCOMMAND, options }],
      guildId: GUILD,
      channelId: where,
      user: permissions === ADMIN ? ANN : BOB,
      permissions,
    });
    return (await interactionAnswer(stack, sent.id)).original!.content;
  }

  async function ask(channelId: string, content: string): Promise<ChatBody> {
    const before = chatBodies().length;
    stack.discord.sendMessage({ channelId, author: ANN, content, mentionsBot: true });
    await stack.discord.waitFor(
      () =>
        stack.discord
          .messages(channelId)
          .some((m) => m.author.id === BOT.id && m.content.includes(content)),
      15_000,
      `the answer to "${content}"`,
    );
    expect(chatBodies().length).toBe(before + 1);
    return chatBodies()[before]!;
  }

  it("a channel's model reaches Chutes there and in its threads, not elsewhere", async () => {
    const answer = await settings('set', [
      { name: 'channel', type: CHANNEL, value: channel(1) },
      { name: 'model', type: STRING, value: 'model-b' },
      { name: 'temperature', type: NUMBER, value: 0.2 },
    ]);
    expect(answer).toContain(`Settings updated in <#${channel(1)}>`);
    expect(answer).toContain('• **model**: `model-b` _(channel; default: model-a)_');

    expect(await ask(channel(1), 'which model in c1?')).toMatchObject({
      model: 'model-b',
      temperature: 0.2,
    });
    expect(await ask(channel(3), 'which model in c3?')).toMatchObject({
      model: 'model-a',
      temperature: 0.7,
    });
    // THREAD is a thread of channel 1: a channel of its own on Discord, with its parent's settings.
    expect(await ask(THREAD, 'which model in the thread?')).toMatchObject({
      model: 'model-b',
      temperature: 0.2,
    });
  });

  it("the server's values count where the channel has none, and show says whose each is", async () => {
    const server = await settings('set', [
      { name: 'temperature', type: NUMBER, value: 1.1 },
      { name: 'max_tokens', type: INTEGER, value: 300 },
    ]);
    expect(server).toContain('Settings updated for the whole server');
    expect(await ask(channel(1), 'c1 after the server changed')).toMatchObject({
      model: 'model-b',
      temperature: 0.2,
      max_tokens: 300,
    });
    expect(await ask(channel(3), 'c3 after the server changed')).toMatchObject({
      model: 'model-a',
      temperature: 1.1,
      max_tokens: 300,
    });

    // Anyone may look, in the thread: its channel's settings, and where each comes from.
    const shown = await settings('show', [], THREAD, MEMBER);
    expect(shown.split('\n')[0]).toBe(`**Settings in force in <#${channel(1)}>**`);
    expect(shown).toContain('• **model**: `model-b` _(channel; default: model-a)_');
    expect(shown).toContain('• **temperature**: `0.2` _(channel; server: 1.1)_');
    expect(shown).toContain('• **max_tokens**: `300` _(server; default: 1024)_');
    expect(shown).toContain('• **image_model**: `image-model` _(default)_');
    const elsewhere = await settings('show', [
      { name: 'channel', type: CHANNEL, value: channel(3) },
    ]);
    expect(elsewhere).toContain('• **model**: `model-a` _(default)_');
    expect(elsewhere).toContain('• **temperature**: `1.1` _(server; default: 0.7)_');
  });

  it('keeps quotas for the whole server, and records the channel in the audit', async () => {
    const refused = await settings('set', [
      { name: 'channel', type: CHANNEL, value: channel(1) },
      { name: 'model', type: STRING, value: 'model-a' },
      { name: 'daily_token_limit', type: INTEGER, value: 5 },
    ]);
    expect(refused).toContain(
      'Nothing was changed: `daily_token_limit` is set for the whole server only',
    );
    const { rows } = await stack.database.pool.query(
      `SELECT channel_id, key, new_value FROM settings_audit
        WHERE platform = 'discord' ORDER BY id`,
    );
    expect(rows).toEqual([
      { channel_id: channel(1), key: 'model', new_value: 'model-b' },
      { channel_id: channel(1), key: 'temperature', new_value: 0.2 },
      { channel_id: null, key: 'temperature', new_value: 1.1 },
      { channel_id: null, key: 'max_tokens', new_value: 300 },
    ]);
  });

  it("/imagine in a channel uses the channel's image model", async () => {
    await settings('set', [
      { name: 'channel', type: CHANNEL, value: channel(4) },
      { name: 'image_model', type: STRING, value: 'channel-image-model' },
    ]);
    const imagine = (channelId: string) =>
      stack.discord.sendInteraction({
        name: 'imagine',
        options: [{ name: 'prompt', type: STRING, value: `a fox in ${channelId}` }],
        guildId: GUILD,
        channelId,
        user: BOB,
        permissions: MEMBER,
      });
    const generated = () => stack.chutes.requests.filter((r) => r.path === '/generate');
    await interactionAnswer(stack, imagine(channel(4)).id);
    expect(generated().at(-1)!.body).toMatchObject({ model: 'channel-image-model' });
    await interactionAnswer(stack, imagine(channel(5)).id);
    expect(generated().at(-1)!.body).toMatchObject({ model: 'image-model' });
  });

  it("reset of a channel gives it the server's settings again, and only it", async () => {
    const reset = await settings('reset', [{ name: 'channel', type: CHANNEL, value: channel(1) }]);
    expect(reset).toContain(`<#${channel(1)}> has no settings of its own any more`);
    expect(await ask(THREAD, 'the thread after the reset')).toMatchObject({
      model: 'model-a',
      temperature: 1.1,
    });
    const shown = await settings('show', [{ name: 'channel', type: CHANNEL, value: channel(4) }]);
    expect(shown).toContain(
      '• **image_model**: `channel-image-model` _(channel; default: image-model)_',
    );
  });
});

describe('per-channel settings on Slack', () => {
  async function command(text: string, where: string, user: string = SLACK.boss.id) {
    const sent = stack.slack.runCommand({ command: '/settings', text, user, channel: where });
    await sent.ack;
    // The worker answers through the response_url; a command typed wrong is answered in the ack.
    const answer = await stack.slack.waitFor(
      () =>
        stack.slack
          .commandResponses(sent.id)
          .find((r) => r.via === 'response_url' || (r.via === 'ack' && r.text)),
      10_000,
      `the answer to /settings ${text}`,
    );
    // Slack's mrkdwn, without the zero-width spaces that keep its emphasis apart.
    return (answer.text ?? '').replace(/\u200B/g, '');
  }

  async function ask(where: string, text: string, threadTs?: string) {
    const before = chatBodies().length;
    const sent = stack.slack.sendMention({ channel: where, user: SLACK.ann.id, text, threadTs });
    await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(where, threadTs ?? sent.ts)
          .some((m) => (m.markdown ?? m.text).includes(text) && m.streaming !== 'streaming'),
      15_000,
      `the answer to "${text}"`,
    );
    expect(chatBodies().length).toBe(before + 1);
    return { body: chatBodies()[before]!, ts: sent.ts };
  }

  it('a channel named by its link gets its own model, in its threads too, not elsewhere', async () => {
    const c5 = SLACK.channel(5);
    // Typed in channel 1, for channel 5: Slack sends the channel picked after # as its link.
    const answer = await command(`set <#${c5}|c5> model=model-b`, SLACK.channel(1));
    expect(answer).toContain(`Settings updated in <#${c5}>`);
    expect(answer).toContain('model');

    const { body, ts } = await ask(c5, 'which model in c5?');
    expect(body.model).toBe('model-b');
    const inThread = await ask(c5, 'and in this thread?', ts);
    expect(inThread.body.model).toBe('model-b');
    expect((await ask(SLACK.channel(6), 'which model in c6?')).body.model).toBe('model-a');
    // The channel the command was typed in kept the workspace's.
    expect((await ask(SLACK.channel(1), 'which model in c1?')).body.model).toBe('model-a');
  });

  it('`here` is the channel the command is typed in; show there says whose each value is', async () => {
    const c7 = SLACK.channel(7);
    await command('set temperature=1.3', c7);
    await command('set here temperature=0.4 max_tokens=200', c7);
    expect((await ask(c7, 'how warm in c7?')).body).toMatchObject({
      model: 'model-a',
      temperature: 0.4,
      max_tokens: 200,
    });
    expect((await ask(SLACK.channel(8), 'how warm in c8?')).body.temperature).toBe(1.3);

    // Anyone may see them: the values in force in the channel they ask in.
    const shown = await command('show', c7, SLACK.ann.id);
    expect(shown).toContain(`Settings in force in <#${c7}>`);
    expect(shown).toContain('• *temperature*: `0.4` _(channel; workspace: 1.3)_');
    expect(shown).toContain('• *max_tokens*: `200` _(channel; default: 1024)_');
    expect(shown).toContain('• *model*: `model-a` _(default)_');

    const reset = await command('reset here', c7);
    expect(reset).toContain("the workspace's are in force there");
    expect((await ask(c7, 'how warm in c7 now?')).body.temperature).toBe(1.3);
    await command('reset', c7);
  });

  it('refuses a channel typed as a plain name, with the usage, changing nothing', async () => {
    const answer = await command('set #general model=model-b', SLACK.channel(9));
    expect(answer).toContain('`#general` is not a channel');
    expect(answer).toContain('Usage: `/settings show [#channel|here]');
    expect((await ask(SLACK.channel(9), 'still the default?')).body.model).toBe('model-a');
  });
});
