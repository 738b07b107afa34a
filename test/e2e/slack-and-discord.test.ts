/**
 * One service serving a Discord server and a Slack workspace at once: they
 * share the queue, the workers and the database, and never each other's
 * settings or history. And Slack over socket mode instead of HTTP.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANN, BOT, channel, GUILD, SLACK, startStack, type Stack } from './stack.js';

type ChatBody = {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
};

const MANAGE_SERVER = String(0x20 | 0x400 | 0x800);
const SUBCOMMAND = 1;
const NUMBER = 10;
const STRING = 3;

describe('Discord and Slack side by side', () => {
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

  async function discordMention(channelId: string, content: string): Promise<ChatBody> {
    const before = chatBodies().length;
    stack.discord.sendMessage({ channelId, author: ANN, content, mentionsBot: true });
    await stack.discord.waitFor(
      () =>
        stack.discord
          .messages(channelId)
          .some((m) => m.author.id === BOT.id && m.content.includes(content)),
      15_000,
      'the Discord answer',
    );
    return chatBodies()[before]!;
  }

  async function slackMention(channelId: string, text: string, threadTs?: string) {
    const before = chatBodies().length;
    const sent = stack.slack.sendMention({
      channel: channelId,
      user: SLACK.ann.id,
      text,
      threadTs,
    });
    await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(channelId, threadTs ?? sent.ts)
          .some((m) => (m.markdown ?? m.text).includes(text) && m.streaming !== 'streaming'),
      15_000,
      'the Slack answer',
    );
    return { body: chatBodies()[before]!, ts: sent.ts };
  }

  it("keeps each platform's settings to itself", async () => {
    const set = stack.discord.sendInteraction({
      name: 'settings',
      options: [
        {
          name: 'set',
          type: SUBCOMMAND,
          options: [
            { name: 'temperature', type: NUMBER, value: 0.3 },
            { name: 'model', type: STRING, value: 'model-b' },
          ],
        },
      ],
      guildId: GUILD,
      channelId: channel(1),
      user: ANN,
      permissions: MANAGE_SERVER,
    });
    await stack.discord.waitFor(
      () => stack.discord.interactionState(set.id)?.original?.content?.includes('updated'),
      15_000,
      'the Discord settings answer',
    );
    const discordBody = await discordMention(channel(2), 'which model on Discord?');
    expect(discordBody).toMatchObject({ model: 'model-b', temperature: 0.3 });
    const { body: slackBody } = await slackMention(SLACK.channel(2), 'which model on Slack?');
    expect(slackBody.model).toBe('model-a');
    expect(slackBody.temperature).toBe(0.7);
  });

  it("keeps each platform's history to itself, whatever the ids look like", async () => {
    await discordMention(channel(3), 'the Discord secret is plum');
    const { body } = await slackMention(SLACK.channel(3), 'what is the secret?');
    expect(JSON.stringify(body)).not.toContain('plum');
    expect(body.messages).toHaveLength(2);

    const { ts } = await slackMention(SLACK.channel(4), 'the Slack secret is kiwi');
    const followUp = await slackMention(SLACK.channel(4), 'and the secret?', ts);
    expect(JSON.stringify(followUp.body)).toContain('kiwi');
    const discordBody = await discordMention(channel(3), 'any kiwi?');
    expect(JSON.stringify(discordBody.messages.slice(0, -1))).not.toContain('kiwi');
    expect(JSON.stringify(discordBody)).toContain('plum');
  });
});

describe('Slack over socket mode', () => {
  let stack: Stack;
  const APP_TOKEN = 'xapp-1-socket-token-never-leaks';
  beforeAll(async () => {
    stack = await startStack({
      discord: false,
      slack: { appToken: APP_TOKEN, transport: 'socket' },
      // No public URL: only the app-level token.
      env: { SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: '' },
    });
  });
  afterAll(async () => {
    const output = stack?.service.output.join('\n') ?? '';
    await stack?.stop();
    expect(output).not.toContain(APP_TOKEN);
  });

  it('answers a mention and a slash command that arrive over the socket', async () => {
    await stack.slack.waitFor(
      () => stack.slack.socketConnections.length > 0,
      10_000,
      'a socket-mode connection',
    );
    stack.chutes.script({ chunks: ['Over ', 'the ', 'socket.'] });
    const sent = stack.slack.sendMention({
      channel: SLACK.channel(1),
      user: SLACK.ann.id,
      text: 'hi',
    });
    const delivery = await sent.delivery;
    expect(delivery.transport).toBe('socket');
    expect(delivery.acknowledged).toBe(true);
    await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(SLACK.channel(1), sent.ts)
          .some((m) => m.markdown === 'Over the socket.' && m.streaming !== 'streaming'),
      15_000,
      'the answer',
    );

    const command = stack.slack.runCommand({
      command: '/settings',
      text: 'show',
      user: SLACK.ann.id,
      channel: SLACK.channel(1),
    });
    expect((await command.ack).transport).toBe('socket');
    const shown = await stack.slack.waitFor(
      () => stack.slack.commandResponses(command.id).find((r) => r.via === 'response_url'),
      10_000,
      'the settings',
    );
    expect(shown.text).toContain('model-a');
    expect(stack.slack.rateLimited).toEqual([]);
  });
});
