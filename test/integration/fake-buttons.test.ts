/**
 * The fakes' buttons, as strict as the platforms: Discord's components
 * (5 rows of 5 buttons, custom_id ≤ 100 and unique, presses only of buttons
 * the message carries, the 3 s acknowledgement, deferred updates and
 * updates) and Slack's actions blocks (25 buttons, action_id ≤ 255 and
 * unique, button text ≤ 75, block_actions delivered signed as a form field,
 * the 3 s ack, the response_url).
 */
import { REST, Routes, DiscordAPIError } from 'discord.js';
import { WebClient, LogLevel } from '@slack/web-api';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack/index.js';

const APP = '1300000000000000001';
const BOT = { id: '1300000000000000002', username: 'chutes' };
const GUILD = '1300000000000000010';
const GENERAL = '1300000000000000011';
const ALICE = { id: '1300000000000000100', username: 'alice' };

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const button = (id: string, label = 'Go') => ({ type: 2, style: 2, label, custom_id: id });
const row = (...buttons: unknown[]) => ({ type: 1, components: buttons });

describe('fake Discord buttons', () => {
  async function start(deadlineMs = 3_000): Promise<{ discord: FakeDiscord; rest: REST }> {
    const discord = await startFakeDiscord({
      token: 'test-token',
      applicationId: APP,
      botUser: BOT,
      guilds: [
        {
          id: GUILD,
          name: 'Test',
          // One channel per post of a test: no channel's rate limit in the way.
          channels: Array.from({ length: 8 }, (_, i) => ({
            id: `13000000000000000${20 + i}`,
            name: `c${i}`,
            type: 0 as const,
          })).concat([{ id: GENERAL, name: 'general', type: 0 as const }]),
        },
      ],
      interactionDeadlineMs: deadlineMs,
    });
    cleanups.push(() => discord.close());
    const rest = new REST({ api: discord.apiUrl, retries: 0 }).setToken('test-token');
    return { discord, rest };
  }

  async function refusal(call: Promise<unknown>): Promise<number> {
    try {
      await call;
    } catch (error) {
      if (error instanceof DiscordAPIError) return Number(error.code);
      throw error;
    }
    throw new Error('expected a refusal');
  }

  it('refuses components Discord refuses', async () => {
    const { rest } = await start();
    let n = 0;
    const post = (components: unknown[]) =>
      rest.post(Routes.channelMessages(`13000000000000000${20 + n++}`), {
        body: { content: 'x', components },
      });
    expect(await refusal(post([row(button('a'.repeat(101)))]))).toBe(50035);
    expect(await refusal(post([row(...'abcdef'.split('').map((id) => button(id)))]))).toBe(50035);
    expect(await refusal(post([row(button('a'), button('a'))]))).toBe(50035);
    expect(await refusal(post(Array.from({ length: 6 }, (_, i) => row(button(`b${i}`)))))).toBe(
      50035,
    );
    expect(await refusal(post([row(button('a', 'x'.repeat(81)))]))).toBe(50035);
    await post([row(button('a'.repeat(100)))]);
  });

  it('sends presses only of buttons the message carries, and takes a deferred update in time', async () => {
    const { discord, rest } = await start();
    const message = (await rest.post(Routes.channelMessages(GENERAL), {
      body: { content: 'answer', components: [row(button('cb1:s:1:2'))] },
    })) as { id: string };
    expect(() =>
      discord.pressButton({ messageId: message.id, customId: 'other', user: ALICE }),
    ).toThrow(/no button/);
    const press = discord.pressButton({
      messageId: message.id,
      customId: 'cb1:s:1:2',
      user: ALICE,
    });
    expect(discord.interactionState(press.id)).toMatchObject({ type: 3, messageId: message.id });
    await rest.post(Routes.interactionCallback(press.id, press.token), {
      body: { type: 6 },
      auth: false,
    });
    expect(await press.callback).toMatchObject({ acknowledged: true, type: 6 });
    expect(discord.message(message.id)?.content).toBe('answer');
    // Acknowledged once only; then a private follow-up through the webhook.
    expect(
      await refusal(
        rest.post(Routes.interactionCallback(press.id, press.token), {
          body: { type: 6 },
          auth: false,
        }),
      ),
    ).toBe(40060);
    await rest.post(Routes.webhook(APP, press.token), {
      body: { content: 'only you', flags: 64 },
      auth: false,
    });
    expect(discord.interactionState(press.id)?.followups[0]).toMatchObject({
      content: 'only you',
      ephemeral: true,
    });
  });

  it('updates the message with type 7, and refuses a late acknowledgement', async () => {
    const { discord, rest } = await start(200);
    const message = (await rest.post(Routes.channelMessages(GENERAL), {
      body: { content: 'answer', components: [row(button('x'))] },
    })) as { id: string };
    const first = discord.pressButton({ messageId: message.id, customId: 'x', user: ALICE });
    await rest.post(Routes.interactionCallback(first.id, first.token), {
      body: { type: 7, data: { content: 'changed', components: [] } },
      auth: false,
    });
    expect(discord.message(message.id)).toMatchObject({ content: 'changed', components: [] });
    expect(() =>
      discord.pressButton({ messageId: message.id, customId: 'x', user: ALICE }),
    ).toThrow();

    await rest.patch(Routes.channelMessage(GENERAL, message.id), {
      body: { components: [row(button('y'))] },
    });
    const late = discord.pressButton({ messageId: message.id, customId: 'y', user: ALICE });
    expect(await late.callback).toEqual({ acknowledged: false, reason: 'deadline' });
    expect(
      await refusal(
        rest.post(Routes.interactionCallback(late.id, late.token), {
          body: { type: 6 },
          auth: false,
        }),
      ),
    ).toBe(10062);
  });
});

describe('fake Slack buttons', () => {
  const USER = { id: 'U0ALICE001', name: 'alice' };
  const CHANNEL = 'C0GENERAL1';

  async function start(ackDeadlineMs = 3_000): Promise<{ slack: FakeSlack; web: WebClient }> {
    const slack = await startFakeSlack({
      users: [USER],
      channels: [
        { id: CHANNEL, name: 'general' },
        // One channel per post of a test: no channel's rate limit in the way.
        ...Array.from({ length: 8 }, (_, i) => ({ id: `C0OTHER00${i}`, name: `other-${i}` })),
      ],
      ackDeadlineMs,
    });
    cleanups.push(() => slack.close());
    const web = new WebClient('xoxb-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
    return { slack, web };
  }

  const actions = (...elements: unknown[]) => [
    { type: 'markdown', text: 'hi' },
    { type: 'actions', elements },
  ];
  const slackButton = (id: string, text = 'Go') => ({
    type: 'button',
    action_id: id,
    text: { type: 'plain_text', text },
  });

  const feedback = (id: string, overrides: Record<string, unknown> = {}) => ({
    type: 'feedback_buttons',
    action_id: id,
    positive_button: { text: { type: 'plain_text', text: '👍' }, value: 'good' },
    negative_button: { text: { type: 'plain_text', text: '👎' }, value: 'bad' },
    ...overrides,
  });
  const contextActions = (...elements: unknown[]) => [
    { type: 'markdown', text: 'hi' },
    { type: 'context_actions', elements },
  ];

  async function errorOf(call: Promise<unknown>): Promise<string> {
    try {
      await call;
    } catch (error) {
      return String((error as { data?: { error?: string } }).data?.error);
    }
    throw new Error('expected a refusal');
  }

  /** The app's events URL: records the bodies, answers after `delayMs`. */
  async function app(delayMs = 0) {
    const bodies: string[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(body);
        setTimeout(() => res.writeHead(200).end(), delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    server.unref();
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
      bodies,
    };
  }

  it('refuses actions blocks Slack refuses', async () => {
    const { web } = await start();
    let n = 0;
    const post = (blocks: unknown[]) =>
      web.chat.postMessage({ channel: `C0OTHER00${n++}`, text: 'hi', blocks: blocks as never });
    expect(await errorOf(post(actions(slackButton('a'.repeat(256)))))).toBe('invalid_blocks');
    expect(await errorOf(post(actions(slackButton('a'), slackButton('a'))))).toBe('invalid_blocks');
    expect(await errorOf(post(actions(slackButton('a', 'x'.repeat(76)))))).toBe('invalid_blocks');
    expect(
      await errorOf(post(actions(...Array.from({ length: 26 }, (_, i) => slackButton(`b${i}`))))),
    ).toBe('invalid_blocks');
    await post(actions(slackButton('a'.repeat(255))));
  });

  it('refuses context_actions and feedback_buttons Slack refuses', async () => {
    const { web } = await start();
    let n = 0;
    const post = (blocks: unknown[]) =>
      web.chat.postMessage({ channel: `C0OTHER00${n++ % 8}`, text: 'hi', blocks: blocks as never });
    const button = (text: unknown, value: unknown = 'v') => ({ text, value });
    const refusals = [
      contextActions(),
      contextActions(...Array.from({ length: 6 }, (_, i) => feedback(`f${i}`))),
      contextActions(slackButton('plain')),
      contextActions(feedback('f', { negative_button: undefined })),
      contextActions(feedback('f', { positive_button: button({ type: 'mrkdwn', text: '👍' }) })),
      contextActions(
        feedback('f', { positive_button: button({ type: 'plain_text', text: 'x'.repeat(76) }) }),
      ),
      contextActions(
        feedback('f', {
          negative_button: button({ type: 'plain_text', text: '👎' }, 'v'.repeat(2001)),
        }),
      ),
      contextActions(
        feedback('f', { negative_button: { text: { type: 'plain_text', text: '👎' } } }),
      ),
      contextActions(feedback('f', { action_id: 'a'.repeat(256) })),
      // action_id unique across the message's blocks.
      [...actions(slackButton('same')), { type: 'context_actions', elements: [feedback('same')] }],
    ];
    for (const blocks of refusals) expect(await errorOf(post(blocks))).toBe('invalid_blocks');
    const accepted = await post([
      ...actions(slackButton('regenerate')),
      { type: 'context_actions', elements: [feedback('f'.repeat(255))] },
    ]);
    expect(accepted.ok).toBe(true);
  });

  it('delivers a feedback button press as a feedback_buttons action with its value', async () => {
    const { slack, web } = await start();
    const events = await app();
    slack.setEventsUrl(events.url);
    const posted = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'hi',
      blocks: contextActions(feedback('cb1:u:1:2')) as never,
    });
    // One action_id, two buttons: a press names which.
    expect(() =>
      slack.pressButton({ channel: CHANNEL, ts: posted.ts!, actionId: 'cb1:u:1:2', user: USER.id }),
    ).toThrow(/feedback buttons/);
    const press = slack.pressFeedback({
      channel: CHANNEL,
      ts: posted.ts!,
      vote: 'negative',
      user: USER.id,
    });
    expect(await press.ack).toMatchObject({ acknowledged: true });
    const payload = JSON.parse(new URLSearchParams(events.bodies[0]).get('payload')!) as Record<
      string,
      unknown
    >;
    expect(payload).toMatchObject({
      type: 'block_actions',
      actions: [
        {
          type: 'feedback_buttons',
          action_id: 'cb1:u:1:2',
          value: 'bad',
          text: { type: 'plain_text', text: '👎' },
        },
      ],
      response_url: press.responseUrl,
    });
    const plain = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'hi',
      blocks: actions(slackButton('x')) as never,
    });
    expect(() =>
      slack.pressFeedback({ channel: CHANNEL, ts: plain.ts!, vote: 'positive', user: USER.id }),
    ).toThrow(/0 feedback buttons/);
  });

  it('delivers presses of buttons the message carries, signed, as the payload field', async () => {
    const { slack, web } = await start();
    const events = await app();
    slack.setEventsUrl(events.url);
    const posted = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'hi',
      blocks: actions(slackButton('cb1:u:1:2')) as never,
    });
    expect(() =>
      slack.pressButton({ channel: CHANNEL, ts: posted.ts!, actionId: 'nope', user: USER.id }),
    ).toThrow(/no button/);
    const press = slack.pressButton({
      channel: CHANNEL,
      ts: posted.ts!,
      actionId: 'cb1:u:1:2',
      user: USER.id,
    });
    expect(await press.ack).toMatchObject({ acknowledged: true });
    const payload = JSON.parse(new URLSearchParams(events.bodies[0]).get('payload')!) as Record<
      string,
      unknown
    >;
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: USER.id },
      container: { message_ts: posted.ts, channel_id: CHANNEL },
      actions: [{ action_id: 'cb1:u:1:2', type: 'button' }],
      response_url: press.responseUrl,
    });
    const answered = await fetch(press.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: 'thanks' }),
    });
    expect(answered.status).toBe(200);
    expect(slack.commandResponses(press.id)).toMatchObject([
      { text: 'thanks', responseType: 'ephemeral' },
    ]);
  });

  it('gives up on an app that does not acknowledge within the deadline', async () => {
    const { slack, web } = await start(200);
    slack.setEventsUrl((await app(400)).url);
    const posted = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'hi',
      blocks: actions(slackButton('x')) as never,
    });
    const press = slack.pressButton({
      channel: CHANNEL,
      ts: posted.ts!,
      actionId: 'x',
      user: USER.id,
    });
    expect(await press.ack).toMatchObject({ acknowledged: false, failure: 'timeout' });
  });
});
