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
  startStack,
  type Stack,
} from './stack.js';

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

const STRING = 3;

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

async function ask(channelId: string, text: string, expected: (reply: string) => boolean) {
  stack.discord.sendMessage({ channelId, author: ANN, content: text, mentionsBot: true });
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
