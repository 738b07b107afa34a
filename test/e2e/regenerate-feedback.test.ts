/**
 * Regenerate and 👍 / 👎 on finished answers, on both platforms, against the
 * whole service: the new answer replaces the old in the same message and in
 * the conversation (the old one kept aside), asked with the same history; a
 * regeneration can be stopped; votes are one per person, changeable, private,
 * counted in /metrics and shown by /usage; old buttons answer with one sentence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROL_NOT_YOURS,
  CONTROL_STALE,
  FEEDBACK_THANKS,
  STOPPED,
} from '../../src/core/user-messages.js';
import { customIdsOf } from '../fakes/discord/components.js';
import type { StoredMessage as DiscordMessage } from '../fakes/discord/types.js';
import { actionIdsOf, feedbackButtonsOf, visibleText } from '../fakes/slack/content.js';
import {
  ANN,
  BOB,
  channel,
  countedWords,
  GUILD,
  interactionAnswer,
  PERMISSIONS,
  SLACK,
  startStack,
  words,
  type Stack,
} from './stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    slack: { streamingEnabled: false },
    chutes: {
      defaultChat: countedWords,
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const idFor = (components: unknown[], code: string) =>
  customIdsOf(components).find((id) => id.startsWith(`cb1:${code}:`));

async function finishedDiscordAnswer(channelId: string, content: string, text: string) {
  const question = stack.discord.sendMessage({
    channelId,
    author: ANN,
    content,
    mentionsBot: true,
  });
  const reply = await stack.discord.waitFor(
    () =>
      stack
        .botMessages(channelId)
        .find((m) => m.content === text && idFor(m.components, 'r') !== undefined),
    20_000,
    'the finished answer with its buttons',
  );
  return { question, reply };
}

async function press(
  reply: DiscordMessage,
  customId: string,
  who = ANN,
  permissions = PERMISSIONS.member,
) {
  const sent = stack.discord.pressButton({ messageId: reply.id, customId, user: who, permissions });
  const callback = await sent.callback;
  expect(callback).toMatchObject({ acknowledged: true, type: 6 });
  return sent.id;
}

const followUp = (interactionId: string) =>
  stack.discord.waitFor(
    () => stack.discord.interactionState(interactionId)?.followups[0],
    10_000,
    'a private follow-up',
  );

async function query<T extends object>(text: string, values: unknown[]) {
  return (await stack.database.pool.query<T>(text, values)).rows;
}

async function scrape(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${stack.service.port}/metrics`);
  return response.text();
}

describe('Discord', () => {
  it('regenerates in the same message with the same history, keeping the old answer aside', async () => {
    const { question, reply } = await finishedDiscordAnswer(
      channel(4),
      'count 3 every 5 tag-r1',
      words(3).join(''),
    );
    const oldId = `discord-msg-${question.id}`;
    const regenerate = idFor(reply.components, 'r')!;

    expect((await followUp(await press(reply, regenerate, BOB))).content).toBe(CONTROL_NOT_YOURS);

    stack.chutes.script({ chunks: ['fresh ', 'answer'] });
    const asked = stack.chutes.requests.length;
    await press(reply, regenerate);
    const replaced = await stack.discord.waitFor(
      () => {
        const m = stack.discord.message(reply.id);
        return m?.content === 'fresh answer' &&
          idFor(m.components, 'r') !== regenerate &&
          idFor(m.components, 'r')
          ? m
          : undefined;
      },
      20_000,
      'the regenerated answer in the same message',
    );
    // One message still: the answer was replaced, not posted again.
    expect(stack.botMessages(channel(4)).filter((m) => !m.deleted)).toHaveLength(1);
    const chat = stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
    const first = chat.find((r) => JSON.stringify(r.body).includes('tag-r1'));
    const again = stack.chutes.requests
      .slice(asked)
      .find((r) => r.path.endsWith('/chat/completions'));
    expect((again?.body as { messages: unknown }).messages).toEqual(
      (first?.body as { messages: unknown }).messages,
    );

    const kept = await query<{ content: string; replaced_by: string }>(
      'SELECT content, replaced_by FROM answer_versions WHERE job_id = $1',
      [oldId],
    );
    expect(kept).toEqual([
      { content: words(3).join(''), replaced_by: expect.stringMatching(/^discord-msg-r/) },
    ]);
    const current = await query<{ content: string; job_id: string }>(
      "SELECT content, job_id FROM conversation_messages WHERE job_id = $1 AND role = 'assistant'",
      [kept[0]!.replaced_by],
    );
    expect(current).toEqual([{ content: 'fresh answer', job_id: kept[0]!.replaced_by }]);

    // The old answer's button, as a message whose last edit never came would still show it.
    const fresh = replaced.components;
    stack.discord.message(reply.id)!.components = [
      { type: 1, components: [{ type: 2, style: 2, label: 'Regenerate', custom_id: regenerate }] },
    ];
    expect((await followUp(await press(reply, regenerate))).content).toBe(CONTROL_STALE);
    stack.discord.message(reply.id)!.components = fresh;
  }, 60_000);

  it('stops a regeneration like any answer', async () => {
    const { reply } = await finishedDiscordAnswer(
      channel(5),
      'count 2 every 5 tag-r2',
      words(2).join(''),
    );
    stack.chutes.script({ chunks: words(500), chunkDelayMs: 40 });
    await press(reply, idFor(reply.components, 'r')!);
    const streaming = await stack.discord.waitFor(
      () => {
        const m = stack.discord.message(reply.id);
        return m?.content.includes('word5 ') && idFor(m.components, 's') ? m : undefined;
      },
      20_000,
      'the regeneration streaming with its Stop button',
    );
    await press(streaming, idFor(streaming.components, 's')!);
    const stopped = await stack.discord.waitFor(
      () => {
        const m = stack.discord.message(reply.id);
        return m?.content.endsWith(STOPPED) && idFor(m.components, 'r') ? m : undefined;
      },
      10_000,
      'the stopped regeneration, with its buttons for a finished answer',
    );
    expect(stopped.content).not.toContain('word499');
  }, 60_000);

  it('takes one vote per person, changeable, privately; /metrics and /usage count them', async () => {
    const { reply } = await finishedDiscordAnswer(
      channel(6),
      'count 2 every 5 tag-f1',
      words(2).join(''),
    );
    const up = idFor(reply.components, 'u')!;
    const down = idFor(reply.components, 'd')!;
    const thanks = await followUp(await press(reply, up, BOB));
    expect(thanks).toMatchObject({ content: FEEDBACK_THANKS, ephemeral: true });
    await followUp(await press(reply, down, BOB));
    await followUp(await press(reply, up, ANN));
    const votes = await query<{ user_id: string; value: string; model: string; answer: string }>(
      'SELECT user_id, value, model, answer FROM answer_feedback ORDER BY user_id',
      [],
    );
    expect(votes).toEqual([
      { user_id: ANN.id, value: 'up', model: 'model-a', answer: words(2).join('') },
      { user_id: BOB.id, value: 'down', model: 'model-a', answer: words(2).join('') },
    ]);
    // Nothing public: the channel holds the question's answer only.
    expect(stack.botMessages(channel(6)).filter((m) => !m.ephemeral)).toHaveLength(1);

    const metrics = await scrape();
    expect(metrics).toContain('chutes_bot_feedback_total{platform="discord",value="up"} 2');
    expect(metrics).toContain('chutes_bot_feedback_total{platform="discord",value="down"} 1');

    const usage = stack.discord.sendInteraction({
      name: 'usage',
      guildId: GUILD,
      channelId: channel(6),
      user: ANN,
      permissions: PERMISSIONS.admin,
    });
    const answer = await interactionAnswer(stack, usage.id);
    expect(answer.original?.content).toContain('`model-a`: 50% 👍 (1 of 2 votes)');
  }, 60_000);
});

describe('Slack', () => {
  it('regenerates an answer and takes votes through the feedback buttons, privately', async () => {
    const where = SLACK.channel(3);
    const sent = stack.slack.sendMention({
      channel: where,
      user: SLACK.ann.id,
      text: `<@${SLACK.bot}> count 2 every 5 tag-s3`,
    });
    const reply = await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(where, sent.ts)
          .find(
            (m) => visibleText(m) === words(2).join('') && feedbackButtonsOf(m.blocks).length === 1,
          ),
      20_000,
      'the finished answer with its buttons',
    );
    // Regenerate is a button; 👍 and 👎 are Slack's feedback buttons, not buttons.
    const [regenerate] = actionIdsOf(reply.blocks);
    expect(regenerate).toMatch(/^cb1:r:/);
    expect(reply.blocks).toContainEqual({
      type: 'actions',
      elements: [expect.objectContaining({ type: 'button', action_id: regenerate })],
    });
    expect(reply.blocks).toContainEqual({
      type: 'context_actions',
      elements: [
        expect.objectContaining({
          type: 'feedback_buttons',
          positive_button: expect.objectContaining({
            text: expect.objectContaining({ text: '👍' }),
          }),
          negative_button: expect.objectContaining({
            text: expect.objectContaining({ text: '👎' }),
          }),
        }),
      ],
    });

    const vote = async (who: string, value: 'positive' | 'negative') => {
      const press = stack.slack.pressFeedback({
        channel: where,
        ts: reply.ts,
        vote: value,
        user: who,
      });
      expect((await press.ack).acknowledged).toBe(true);
      return stack.slack.waitFor(
        () => stack.slack.commandResponses(press.id).find((r) => r.via === 'response_url'),
        10_000,
        'the private thanks',
      );
    };
    expect(await vote(SLACK.bob.id, 'positive')).toMatchObject({
      text: FEEDBACK_THANKS,
      responseType: 'ephemeral',
      replaceOriginal: false,
    });
    await vote(SLACK.bob.id, 'negative');
    await vote(SLACK.ann.id, 'positive');
    const votes = await query<{ user_id: string; value: string }>(
      `SELECT user_id, value FROM answer_feedback WHERE platform = 'slack' ORDER BY user_id`,
      [],
    );
    expect(votes).toEqual([
      { user_id: SLACK.ann.id, value: 'up' },
      { user_id: SLACK.bob.id, value: 'down' },
    ]);
    const metrics = await scrape();
    expect(metrics).toContain('chutes_bot_feedback_total{platform="slack",value="up"} 2');
    expect(metrics).toContain('chutes_bot_feedback_total{platform="slack",value="down"} 1');
    // Nothing public: the thread holds the answer only.
    expect(stack.slack.botMessages(where, sent.ts)).toHaveLength(1);

    stack.chutes.script({ chunks: ['another ', 'take'] });
    const again = stack.slack.pressButton({
      channel: where,
      ts: reply.ts,
      actionId: regenerate!,
      user: SLACK.ann.id,
    });
    expect((await again.ack).acknowledged).toBe(true);
    const replaced = await stack.slack.waitFor(
      () => {
        const m = stack.slack.message(where, reply.ts);
        return m && visibleText(m) === 'another take' && actionIdsOf(m.blocks)[0] !== regenerate
          ? m
          : undefined;
      },
      20_000,
      'the regenerated answer in the same message',
    );
    expect(actionIdsOf(replaced.blocks)).toHaveLength(2);
    expect(feedbackButtonsOf(replaced.blocks)).toHaveLength(1);
    expect(stack.slack.commandResponses(again.id)).toEqual([]);
  }, 60_000);
});

it('logs no errors along the way', () => {
  expect(stack.service.errors()).toEqual([]);
});
