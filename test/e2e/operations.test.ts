/**
 * Operations end to end: GET /metrics against a running service and the
 * fakes, /usage numbers from the fakes' usage chunks, and daily quotas.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ANN,
  BOB,
  channel,
  GUILD,
  interactionAnswer,
  PERMISSIONS,
  SLACK,
  startStack,
  type Stack,
} from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ slack: {} });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  expect(stack.discord.rateLimited).toEqual([]);
});

const STRING = 3;
const INTEGER = 4;
const SUBCOMMAND = 1;

type Samples = Map<string, number>;

async function scrape(): Promise<{ text: string; samples: Samples; contentType: string }> {
  const response = await fetch(`http://127.0.0.1:${stack.service.port}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return { text, samples, contentType: response.headers.get('content-type') ?? '' };
}

/** How much each named sample moved between two scrapes (absent counts as 0). */
function moved(before: Samples, after: Samples, name: string): number {
  return (after.get(name) ?? 0) - (before.get(name) ?? 0);
}

function chatRequests() {
  return stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
}

async function ask(
  channelId: string,
  text: string,
  expected: (reply: string) => boolean,
  author = ANN,
) {
  stack.discord.sendMessage({ channelId, author, content: text, mentionsBot: true });
  return stack.discord.waitFor(
    () => {
      const reply = stack.botMessages(channelId).at(-1);
      return reply && expected(reply.content) ? reply : undefined;
    },
    15_000,
    `the answer to "${text}"`,
  );
}

async function imagine(prompt: string) {
  const sent = stack.discord.sendInteraction({
    name: 'imagine',
    options: [{ name: 'prompt', type: STRING, value: prompt }],
    guildId: GUILD,
    channelId: channel(2),
    user: BOB,
    permissions: PERMISSIONS.member,
  });
  return interactionAnswer(stack, sent.id);
}

describe('GET /metrics', () => {
  it('serves Prometheus text with process metrics and every bot metric', async () => {
    const { text, contentType } = await scrape();
    expect(contentType).toContain('text/plain');
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    for (const name of [
      'events_total',
      'answers_total',
      'time_to_first_token_seconds',
      'answer_duration_seconds',
      'queue_wait_seconds',
      'tokens_total',
      'images_total',
      'platform_requests_total',
      'chutes_errors_total',
      'jobs_retried_total',
      'jobs_failed_total',
      'active_streams',
    ]) {
      expect(text).toContain(`# TYPE chutes_bot_${name} `);
    }
  });

  it('moves by exactly one chat and one image', async () => {
    const before = (await scrape()).samples;
    stack.chutes.script({
      chunks: ['Forty', '-two.'],
      usage: { prompt_tokens: 31, completion_tokens: 7 },
    });
    await ask(channel(1), 'what is the answer?', (t) => t === 'Forty-two.');
    stack.chutes.scriptImage({ mode: 'bytes-png' });
    const image = await imagine('a red square');
    expect(image.original!.attachments).toHaveLength(1);
    // The usage row (and so the counters) follows the posted answer by a moment.
    await stack.discord.waitFor(
      async () =>
        moved(before, (await scrape()).samples, 'chutes_bot_images_total{outcome="ok"}') === 1 ||
        undefined,
      5_000,
      'the image counted',
    );
    const after = (await scrape()).samples;
    const m = (name: string) => moved(before, after, name);
    expect(m('chutes_bot_events_total{platform="discord",kind="chat"}')).toBe(1);
    expect(m('chutes_bot_events_total{platform="discord",kind="imagine"}')).toBe(1);
    expect(m('chutes_bot_answers_total{platform="discord",outcome="ok"}')).toBe(1);
    expect(m('chutes_bot_tokens_total{model="model-a",type="prompt"}')).toBe(31);
    expect(m('chutes_bot_tokens_total{model="model-a",type="completion"}')).toBe(7);
    expect(m('chutes_bot_time_to_first_token_seconds_count{model="model-a"}')).toBe(1);
    expect(m('chutes_bot_answer_duration_seconds_count')).toBe(1);
    expect(m('chutes_bot_queue_wait_seconds_count{queue="chat"}')).toBe(1);
    expect(m('chutes_bot_queue_wait_seconds_count{queue="commands"}')).toBe(1);
    expect(m('chutes_bot_images_total{outcome="ok"}')).toBe(1);
    expect(m('chutes_bot_jobs_failed_total')).toBe(0);
    expect(after.get('chutes_bot_active_streams')).toBe(0);
    // Placeholder, edits and the image's answer went through Discord's REST.
    expect(
      m('chutes_bot_platform_requests_total{platform="discord",status="200"}'),
    ).toBeGreaterThan(1);
  });

  it('counts a Chutes error by status and the job that failed for good', async () => {
    const before = (await scrape()).samples;
    // 404 is not retried: one attempt, one error, one failed job.
    stack.chutes.script({ error: { status: 404, body: { detail: 'model not found' } } });
    await ask(channel(3), 'use a missing model', (t) => t.includes('not available'));
    await stack.discord.waitFor(
      async () =>
        moved(before, (await scrape()).samples, 'chutes_bot_jobs_failed_total') === 1 || undefined,
      5_000,
      'the failed job counted',
    );
    const after = (await scrape()).samples;
    expect(moved(before, after, 'chutes_bot_chutes_errors_total{status="404"}')).toBe(1);
    expect(
      moved(before, after, 'chutes_bot_answers_total{platform="discord",outcome="error"}'),
    ).toBe(1);
    expect(moved(before, after, 'chutes_bot_jobs_retried_total')).toBe(0);
    expect(chatRequests().at(-1)!.body).toMatchObject({ model: 'model-a' });
  });
});

function usageCommand(permissions: string, user = ANN) {
  return stack.discord.sendInteraction({
    name: 'usage',
    guildId: GUILD,
    channelId: channel(1),
    user,
    permissions,
  });
}

function settings(
  sub: 'show' | 'set',
  permissions: string,
  options: { name: string; type: number; value: number }[] = [],
) {
  return stack.discord.sendInteraction({
    name: 'settings',
    options: [{ name: sub, type: SUBCOMMAND, options }],
    guildId: GUILD,
    channelId: channel(1),
    user: ANN,
    permissions,
  });
}

// After the scenarios above: one answer of 31 + 7 tokens by Ann, one image
// by Bob, and one failed question (its tokens never count).
describe('/usage', () => {
  it('is registered with the other commands at start', () => {
    expect(stack.discord.commands.map((c) => c.name).sort()).toEqual([
      'forget',
      'help',
      'imagine',
      'settings',
      'usage',
    ]);
  });

  it("refuses a member who is not an admin, only to them, with no one's numbers", async () => {
    const sent = usageCommand(PERMISSIONS.member, BOB);
    const state = await interactionAnswer(stack, sent.id);
    expect(state.callback?.flags).toBe(64);
    expect(state.original!.content).toContain('Only members with the Manage Server permission');
    expect(state.original!.content).not.toMatch(/tokens|Ann/);
  });

  it("shows an admin the numbers the model's usage chunks carried, by model and user", async () => {
    const state = await interactionAnswer(stack, usageCommand(PERMISSIONS.admin).id);
    expect(state.callback?.flags).toBe(64);
    const text = state.original!.content;
    // What the tokens cost at the list's prices ($0.2 and $0.8 per million): 31 × 0.2 + 7 × 0.8.
    const tokens = '31 prompt + 7 completion tokens (≈ $0.000012)';
    expect(text).toContain(`**Last 24 h**: 1 answer, ${tokens}, 1 image`);
    expect(text).toContain(`**Last 30 days**: 1 answer, ${tokens}, 1 image`);
    expect(text).toContain(`• \`model-a\`: 1 answer, ${tokens}`);
    expect(text).toContain('• `image-model`: 1 image');
    expect(text).toContain('1. Ann: 38 tokens (1 answer)');
    expect(text).toMatch(/Quotas today\*\*: 38 tokens \(no limit\) · 1 image \(no limit\)/);
    expect(text).not.toContain('~');
  });
});

describe('daily quotas', () => {
  it('refuse the next question without calling Chutes, saying when they reset, and count it', async () => {
    const set = await interactionAnswer(
      stack,
      settings('set', PERMISSIONS.admin, [
        { name: 'daily_token_limit', type: INTEGER, value: 38 },
        { name: 'daily_image_limit', type: INTEGER, value: 1 },
      ]).id,
    );
    expect(set.original!.content).toMatch(/daily_token_limit\*\*: `38`/);
    expect(set.original!.content).toMatch(/Quotas today\*\*: 38 of 38 tokens \(reached\)/);

    const before = (await scrape()).samples;
    const calls = stack.chutes.requests.length;
    const reply = await ask(channel(4), 'one more?', (t) => t.includes('daily limit'));
    expect(reply.content).toMatch(
      /^⏳ This server or workspace has used its daily limit of 38 tokens; it resets at 00:00 UTC \(in (\d+ h )?\d+ min\)\.$/,
    );
    const image = await imagine('another square');
    expect(image.original!.content).toContain('daily limit of 1 image;');
    expect(image.original!.attachments).toHaveLength(0);
    // Neither the question nor the image reached Chutes.
    expect(stack.chutes.requests.length).toBe(calls);

    const after = (await scrape()).samples;
    const m = (name: string) => moved(before, after, name);
    expect(m('chutes_bot_events_total{platform="discord",kind="chat"}')).toBe(1);
    expect(m('chutes_bot_events_total{platform="discord",kind="imagine"}')).toBe(1);
    expect(m('chutes_bot_answers_total{platform="discord",outcome="refused"}')).toBe(1);
    expect(m('chutes_bot_answers_total{platform="discord",outcome="ok"}')).toBe(0);
    expect(m('chutes_bot_images_total{outcome="refused"}')).toBe(1);
    expect(m('chutes_bot_images_total{outcome="ok"}')).toBe(0);
    expect(m('chutes_bot_tokens_total{model="model-a",type="prompt"}')).toBe(0);
    // A refusal is no usage: nothing was stored for it.
    const { rows } = await stack.database.pool.query('SELECT count(*)::int AS n FROM usage');
    expect(rows[0].n).toBe(3);
  });

  it('show their state to admins in /settings show, and not to members', async () => {
    const admin = await interactionAnswer(stack, settings('show', PERMISSIONS.admin).id);
    expect(admin.original!.content).toContain(
      '**Quotas today**: 38 of 38 tokens (reached) · 1 of 1 image (reached) · resets at 00:00 UTC',
    );
    const member = await interactionAnswer(stack, settings('show', PERMISSIONS.member).id);
    expect(member.original!.content).toMatch(/daily_token_limit\*\*: `38`/);
    expect(member.original!.content).not.toContain('Quotas today');
  });

  it('hold each member to their own limit, while the others may still ask', async () => {
    const set = await interactionAnswer(
      stack,
      settings('set', PERMISSIONS.admin, [
        { name: 'daily_token_limit', type: INTEGER, value: 0 },
        { name: 'daily_user_token_limit', type: INTEGER, value: 38 },
      ]).id,
    );
    expect(set.original!.content).toContain('each member at most 38 tokens');
    const calls = stack.chutes.requests.length;
    // Ann's one answer today was 38 tokens: her own limit.
    const refused = await ask(channel(5), 'and me?', (t) => t.includes('daily limit'));
    expect(refused.content).toMatch(/^⏳ You have used your daily limit of 38 tokens; it resets/);
    expect(stack.chutes.requests.length).toBe(calls);
    const answered = await ask(channel(6), 'and Bob?', (t) => t.startsWith('You said'), BOB);
    expect(answered.content).toBe('You said: Bob: and Bob?');
  });
});

describe('/usage on Slack', () => {
  const slackUsage = (user: string) => {
    const command = stack.slack.runCommand({
      command: '/usage',
      text: '',
      user,
      channel: SLACK.channel(1),
    });
    return stack.slack.waitFor(
      () => stack.slack.commandResponses(command.id).find((r) => r.via === 'response_url'),
      10_000,
      'the /usage answer',
    );
  };

  it("is for workspace admins, and counts only this workspace's usage", async () => {
    stack.chutes.script({
      chunks: ['Hi there.'],
      usage: { prompt_tokens: 12, completion_tokens: 3 },
    });
    stack.slack.sendMention({ channel: SLACK.channel(1), user: SLACK.ann.id, text: 'hello' });
    await stack.slack.waitFor(
      async () => {
        const { rows } = await stack.database.pool.query(
          "SELECT count(*)::int AS n FROM usage WHERE platform = 'slack'",
        );
        return rows[0].n === 1;
      },
      15_000,
      'the Slack answer stored',
    );
    const refused = await slackUsage(SLACK.bob.id);
    expect(refused.responseType).toBe('ephemeral');
    expect(refused.text).toMatch(/Only workspace admins and owners/);
    const report = await slackUsage(SLACK.boss.id);
    expect(report.responseType).toBe('ephemeral');
    expect(report.text).toContain('1 answer, 12 prompt + 3 completion tokens');
    // The Discord server's answer and image are not this workspace's.
    expect(report.text).not.toContain('31 prompt');
    expect(report.text).not.toContain('image-model');
    expect(report.text).toContain('0 images (no limit)');
  });
});
