/**
 * Slack's assistant experience end to end on the fake Slack: a thread opened
 * in the app's assistant pane is offered the workspace's suggested prompts,
 * is titled after its first question (once), shows "is thinking…" until the
 * answer comes, and every one of these calls stays inside Slack's limits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SUGGESTED_PROMPTS } from '../../src/core/settings/suggested-prompts.js';
import { SLACK, startStack, type Stack } from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ discord: false, slack: {} });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  expect(stack.rateLimited()).toEqual([]);
});

function startThread() {
  return stack.slack.startAssistantThread({
    user: SLACK.ann.id,
    dm: SLACK.dm,
    context: SLACK.channel(1),
  });
}

function answerIn(threadTs: string, final: (text: string) => boolean) {
  return stack.slack.waitFor(
    () =>
      stack.slack
        .botMessages(SLACK.dm, threadTs)
        .find(
          (m) => m.ts !== threadTs && m.streaming !== 'streaming' && final(m.markdown ?? m.text),
        ),
    20_000,
    'the answer in the assistant thread',
  );
}

describe('Slack assistant threads', () => {
  it('offers the default prompts when a thread starts, acknowledged in time', async () => {
    const started = startThread();
    const delivery = await started.delivery;
    expect(delivery.acknowledged).toBe(true);
    expect(delivery.latencyMs).toBeLessThan(3_000);
    const offered = await stack.slack.waitFor(
      () => stack.slack.suggestedPrompts.find((p) => p.threadTs === started.ts),
      10_000,
      'the suggested prompts',
    );
    const defaults = DEFAULT_SUGGESTED_PROMPTS.split('|').map((p) => p.trim());
    expect(offered).toMatchObject({ channel: SLACK.dm, title: 'Try asking' });
    expect(offered.prompts).toEqual(defaults.map((p) => ({ title: p, message: p })));
  });

  it('titles the thread after its first question only, and shows "is thinking…" until the answer', async () => {
    const started = startThread();
    await started.delivery;
    stack.chutes.script({ chunks: ['Tides ', 'follow the moon.'], firstChunkDelayMs: 800 });
    const question =
      'How do tides work, and why are there two of them every day in most places on the coast?';
    stack.slack.sendDm({
      channel: SLACK.dm,
      user: SLACK.ann.id,
      text: question,
      threadTs: started.ts,
    });
    await answerIn(started.ts, (t) => t === 'Tides follow the moon.');
    const titles = () => stack.slack.titles.filter((t) => t.threadTs === started.ts);
    await stack.slack.waitFor(() => titles().length === 1, 10_000, 'the title');
    expect(titles()[0]!.title).toBe(
      'How do tides work, and why are there two of them every day in most places on…',
    );
    // The loading text while the model had not answered; Slack took it away with the reply.
    const statuses = stack.slack.statuses.filter((s) => s.threadTs === started.ts);
    expect(statuses.map((s) => s.status)).toContain('is thinking…');
    expect(statuses.at(-1)!.clearedBy).toBe('reply');

    stack.slack.sendDm({
      channel: SLACK.dm,
      user: SLACK.ann.id,
      text: 'and in lakes?',
      threadTs: started.ts,
    });
    await answerIn(started.ts, (t) => t.includes('and in lakes?'));
    expect(titles()).toHaveLength(1);
  });

  it("offers the workspace's own prompts, and none when they are off", async () => {
    const setPrompts = async (value: string) => {
      const sent = stack.slack.runCommand({
        command: '/settings',
        text: `set suggested_prompts="${value}"`,
        user: SLACK.boss.id,
        channel: SLACK.channel(1),
      });
      await sent.ack;
      await stack.slack.waitFor(
        () => stack.slack.commandResponses(sent.id).find((r) => r.via === 'response_url'),
        10_000,
        'the settings answer',
      );
    };
    await setPrompts('Plan my week | Review this code | | Write a haiku');
    const started = startThread();
    const offered = await stack.slack.waitFor(
      () => stack.slack.suggestedPrompts.find((p) => p.threadTs === started.ts),
      10_000,
      'the suggested prompts',
    );
    expect(offered.prompts.map((p) => p.message)).toEqual([
      'Plan my week',
      'Review this code',
      'Write a haiku',
    ]);

    await setPrompts('off');
    const quiet = startThread();
    await quiet.delivery;
    // The thread still gets its title and answers; just no prompts.
    stack.slack.sendDm({ channel: SLACK.dm, user: SLACK.ann.id, text: 'hi', threadTs: quiet.ts });
    await answerIn(quiet.ts, (t) => t.includes('hi'));
    expect(stack.slack.suggestedPrompts.some((p) => p.threadTs === quiet.ts)).toBe(false);
  });
});
