/**
 * The buttons on answers, pressed on both platforms against the whole
 * service: Stop by the asker, by an admin, and by someone who may not; Stop
 * closing the model's stream within a second; a button left on an answer
 * that has ended, pressed after a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeControlId } from '../../src/core/controls/control-id.js';
import { CONTROL_NOT_YOURS, CONTROL_STALE, STOPPED } from '../../src/core/user-messages.js';
import { customIdsOf } from '../fakes/discord/components.js';
import type { StoredMessage as DiscordMessage } from '../fakes/discord/types.js';
import { actionIdsOf, feedbackButtonsOf, visibleText } from '../fakes/slack/content.js';
import {
  ANN,
  BOB,
  channel,
  countedWords,
  PERMISSIONS,
  SLACK,
  startStack,
  words,
  type Stack,
} from './stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    // Slack without the AI-apps feature answers by post + edit, where a Stop button shows.
    slack: { streamingEnabled: false },
    chutes: {
      defaultChat: countedWords,
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The model request whose question carries `tag`. */
function requestFor(tag: string) {
  return stack.chutes.requests.find((r) =>
    JSON.stringify((r.body as { messages?: unknown } | undefined)?.messages ?? '').includes(tag),
  );
}

const stopId = (components: unknown[]) =>
  customIdsOf(components).find((id) => id.startsWith('cb1:s:'));

/** A finished answer's buttons: Regenerate, 👍, 👎, and no Stop. */
const FINISHED = /^cb1:[rud]:/;
const finished = (components: unknown[]) => {
  const ids = customIdsOf(components);
  return ids.length === 3 && ids.every((id) => FINISHED.test(id));
};
/** On Slack: Regenerate a button, 👍 and 👎 Slack's feedback buttons. */
const finishedOnSlack = (blocks: unknown[] | undefined) => {
  const ids = actionIdsOf(blocks);
  const [feedback, ...more] = feedbackButtonsOf(blocks);
  return (
    ids.length === 2 &&
    ids.every((id) => FINISHED.test(id)) &&
    more.length === 0 &&
    /^cb1:u:/.test(feedback?.positive ?? '') &&
    /^cb1:d:/.test(feedback?.negative ?? '')
  );
};

/** Asks on Discord for a slow answer; resolves once it streams with its Stop button. */
async function slowDiscordAnswer(channelId: string, tag: string) {
  const question = stack.discord.sendMessage({
    channelId,
    author: ANN,
    content: `count 600 every 40 ${tag}`,
    mentionsBot: true,
  });
  const reply = await stack.discord.waitFor(
    () =>
      stack
        .botMessages(channelId)
        .find((m) => m.content.includes('word3 ') && stopId(m.components) !== undefined),
    30_000,
    'a streaming answer with its Stop button',
  );
  return { question, reply, customId: stopId(reply.components)! };
}

async function stoppedRow(jobId: string) {
  const { rows } = await stack.database.pool.query<{ outcome: string }>(
    'SELECT outcome FROM usage WHERE job_id = $1',
    [jobId],
  );
  const answers = await stack.database.pool.query<{ content: string }>(
    "SELECT content FROM conversation_messages WHERE job_id = $1 AND role = 'assistant'",
    [jobId],
  );
  return { outcome: rows[0]?.outcome, answer: answers.rows[0]?.content };
}

/** Presses Stop and checks the press was acknowledged by a deferred update in time. */
async function pressOnDiscord(
  reply: DiscordMessage,
  customId: string,
  who = ANN,
  permissions = PERMISSIONS.member,
) {
  const pressedAt = Date.now();
  const press = stack.discord.pressButton({
    messageId: reply.id,
    customId,
    user: who,
    permissions,
  });
  const callback = await press.callback;
  expect(callback).toMatchObject({ acknowledged: true, type: 6 });
  if (callback.acknowledged) expect(callback.latencyMs).toBeLessThan(3_000);
  return { press, pressedAt };
}

async function discordFollowUp(interactionId: string) {
  return stack.discord.waitFor(
    () => stack.discord.interactionState(interactionId)?.followups[0],
    10_000,
    'a private follow-up',
  );
}

describe('Discord', () => {
  it('refuses Stop to someone else, then the asker stops the model within a second', async () => {
    const { question, reply, customId } = await slowDiscordAnswer(channel(1), 'tag-d1');
    const jobId = `discord-msg-${question.id}`;

    const refused = await pressOnDiscord(reply, customId, BOB);
    const followUp = await discordFollowUp(refused.press.id);
    expect(followUp.content).toBe(CONTROL_NOT_YOURS);
    expect(followUp.ephemeral).toBe(true);
    expect(requestFor('tag-d1')?.disconnectedAt).toBeUndefined();

    const { pressedAt } = await pressOnDiscord(reply, customId);
    const closedAt = await stack.discord.waitFor(
      () => requestFor('tag-d1')?.disconnectedAt,
      10_000,
    );
    expect(closedAt - pressedAt).toBeLessThan(1_000);

    const ended = await stack.discord.waitFor(
      () => {
        const m = stack.discord.message(reply.id);
        return m?.content.endsWith(STOPPED) && finished(m.components) ? m : undefined;
      },
      10_000,
      'the stopped answer, its Stop button gone',
    );
    expect(ended.content.startsWith('word0 word1 word2 word3 ')).toBe(true);
    expect(ended.content).not.toContain('word599');
    // What was shown is what the conversation remembers, marked as stopped in the usage.
    const row = await stack.discord.waitFor(async () => {
      const r = await stoppedRow(jobId);
      return r.outcome ? r : undefined;
    });
    expect(row.outcome).toBe('stopped');
    expect(row.answer).toMatch(/^word0 word1 word2 word3 /);
  }, 60_000);

  it("lets an admin stop someone else's answer", async () => {
    const { reply, customId } = await slowDiscordAnswer(channel(2), 'tag-d2');
    const { pressedAt } = await pressOnDiscord(reply, customId, BOB, PERMISSIONS.admin);
    const closedAt = await stack.discord.waitFor(
      () => requestFor('tag-d2')?.disconnectedAt,
      10_000,
    );
    expect(closedAt - pressedAt).toBeLessThan(1_000);
    await stack.discord.waitFor(() => stack.discord.message(reply.id)?.content.endsWith(STOPPED));
  }, 60_000);

  it('answers a Stop left on a finished answer with one sentence, after a restart', async () => {
    const question = stack.discord.sendMessage({
      channelId: channel(3),
      author: ANN,
      content: 'count 3 every 10 tag-d3',
      mentionsBot: true,
    });
    const reply = await stack.discord.waitFor(
      () =>
        stack
          .botMessages(channel(3))
          .find((m) => m.content === words(3).join('') && finished(m.components)),
      20_000,
      'the finished answer, its Stop button gone',
    );
    // Its Stop button, as a message whose last edit never came would still show it.
    const customId = encodeControlId({
      action: 'stop',
      askerId: ANN.id,
      answerId: `discord-msg-${question.id}`,
    });
    stack.discord.message(reply.id)!.components = [
      { type: 1, components: [{ type: 2, style: 4, label: 'Stop', custom_id: customId }] },
    ];
    await stack.service.stop();
    stack.service = await stack.startService();
    const { press } = await pressOnDiscord(reply, customId);
    expect((await discordFollowUp(press.id)).content).toBe(CONTROL_STALE);
    // Pressing a button a message does not carry is not something Discord sends.
    expect(() =>
      stack.discord.pressButton({ messageId: reply.id, customId: 'cb1:s:x:y', user: ANN }),
    ).toThrow(/no button/);
  }, 90_000);
});

describe('Discord, across a crash', () => {
  it('stops the answer the next process took over, from the same button', async () => {
    const { reply, customId } = await slowDiscordAnswer(channel(7), 'tag-d4');
    await stack.service.kill();
    const restartedAt = Date.now();
    stack.service = await stack.startService();
    // The next process asks again and streams into the same message, with its Stop button.
    const retried = await stack.discord.waitFor(
      () => {
        const requests = stack.chutes.requests.filter((r) =>
          String(JSON.stringify(r.body)).includes('tag-d4'),
        );
        const m = stack.discord.message(reply.id);
        const moving = m?.edits.some((e) => e.at > restartedAt && e.content.includes('word3 '));
        return requests.length === 2 && moving && stopId(m!.components) === customId
          ? requests[1]
          : undefined;
      },
      30_000,
      'the answer continued by the next process',
    );
    const { pressedAt } = await pressOnDiscord(reply, customId);
    const closedAt = await stack.discord.waitFor(() => retried.disconnectedAt, 10_000);
    expect(closedAt - pressedAt).toBeLessThan(1_000);
    await stack.discord.waitFor(() => stack.discord.message(reply.id)?.content.endsWith(STOPPED));
  }, 90_000);
});

describe('Slack', () => {
  it('refuses Stop to someone else; the asker stops a post + edit answer within a second', async () => {
    const where = SLACK.channel(1);
    const sent = stack.slack.sendMention({
      channel: where,
      user: SLACK.ann.id,
      text: `<@${SLACK.bot}> count 600 every 40 tag-s1`,
    });
    const reply = await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(where, sent.ts)
          .find((m) => visibleText(m).includes('word3 ') && actionIdsOf(m.blocks).length > 0),
      30_000,
      'a streaming answer with its Stop button',
    );
    const actionId = actionIdsOf(reply.blocks).find((id) => id.startsWith('cb1:s:'))!;
    expect(actionId).toBeDefined();

    const refused = stack.slack.pressButton({
      channel: where,
      ts: reply.ts,
      actionId,
      user: SLACK.bob.id,
    });
    expect(await refused.ack).toMatchObject({ acknowledged: true });
    const told = await stack.slack.waitFor(
      () => stack.slack.commandResponses(refused.id).find((r) => r.via === 'response_url'),
      10_000,
      'the private refusal',
    );
    expect(told).toMatchObject({
      text: CONTROL_NOT_YOURS,
      responseType: 'ephemeral',
      replaceOriginal: false,
    });
    expect(requestFor('tag-s1')?.disconnectedAt).toBeUndefined();

    const pressedAt = Date.now();
    const press = stack.slack.pressButton({
      channel: where,
      ts: reply.ts,
      actionId,
      user: SLACK.ann.id,
    });
    const ack = await press.ack;
    expect(ack.acknowledged).toBe(true);
    expect(ack.latencyMs).toBeLessThan(3_000);
    const closedAt = await stack.slack.waitFor(() => requestFor('tag-s1')?.disconnectedAt, 10_000);
    expect(closedAt - pressedAt).toBeLessThan(1_000);
    const ended = await stack.slack.waitFor(
      () => {
        const m = stack.slack.message(where, reply.ts);
        return m && visibleText(m).endsWith(STOPPED) && finishedOnSlack(m.blocks) ? m : undefined;
      },
      10_000,
      'the stopped answer, its Stop button gone',
    );
    expect(visibleText(ended)).toMatch(/^word0 word1 word2 word3 /);
    // Nobody else was told anything about it.
    expect(stack.slack.commandResponses(press.id)).toEqual([]);
  }, 60_000);

  it("lets a workspace admin stop someone else's answer", async () => {
    const where = SLACK.channel(2);
    const sent = stack.slack.sendMention({
      channel: where,
      user: SLACK.ann.id,
      text: `<@${SLACK.bot}> count 600 every 40 tag-s2`,
    });
    const reply = await stack.slack.waitFor(
      () => stack.slack.botMessages(where, sent.ts).find((m) => actionIdsOf(m.blocks).length > 0),
      30_000,
    );
    const press = stack.slack.pressButton({
      channel: where,
      ts: reply.ts,
      actionId: actionIdsOf(reply.blocks)[0]!,
      user: SLACK.boss.id,
    });
    expect((await press.ack).acknowledged).toBe(true);
    await stack.slack.waitFor(() => requestFor('tag-s2')?.disconnectedAt, 10_000);
    await stack.slack.waitFor(() => {
      const m = stack.slack.message(where, reply.ts);
      return m && visibleText(m).endsWith(STOPPED);
    });
  }, 60_000);
});

it('logs no errors along the way', () => {
  expect(stack.service.errors()).toEqual([]);
});
