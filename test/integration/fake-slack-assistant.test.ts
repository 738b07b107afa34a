/**
 * The fake Slack's assistant threads, driven by the real WebClient: the
 * methods need `assistant:write`, their arguments, and keep to tier 4; the
 * `assistant_thread_started` event arrives only for an app subscribed to it.
 */
import { WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  manifestSubscriptions,
  startFakeSlack,
  type FakeSlack,
  type FakeSlackOptions,
} from '../fakes/slack/index.js';

const ALICE = { id: 'U0ALICE001', name: 'alice' };
const DM = 'D0ALICE001';

let slack: FakeSlack | undefined;
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

async function start(extra: Partial<FakeSlackOptions> = {}) {
  slack = await startFakeSlack({
    users: [ALICE],
    channels: [{ id: DM, name: 'alice-dm', user: ALICE.id }],
    ...extra,
  });
  const client = new WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  return { fake: slack, client };
}

const errorOf = async (call: Promise<unknown>) =>
  (
    (await call.then(
      () => undefined,
      (e: unknown) => e,
    )) as WebAPIPlatformError | undefined
  )?.data;

describe('fake Slack assistant threads', () => {
  it('starts a thread with an event, then takes a title and up to four prompts for it', async () => {
    const { fake, client } = await start();
    const started = fake.startAssistantThread({ user: ALICE.id, dm: DM });
    await started.delivery.catch(() => undefined);
    const where = { channel_id: DM, thread_ts: started.ts };
    await client.assistant.threads.setTitle({ ...where, title: 'Tides' });
    const prompt = { title: 'Plan', message: 'Plan my week' };
    await client.assistant.threads.setSuggestedPrompts({ ...where, prompts: [prompt] });
    expect(fake.titles).toMatchObject([{ channel: DM, threadTs: started.ts, title: 'Tides' }]);
    expect(fake.suggestedPrompts).toMatchObject([{ threadTs: started.ts, prompts: [prompt] }]);

    expect(
      await errorOf(
        client.assistant.threads.setSuggestedPrompts({
          ...where,
          prompts: Array.from({ length: 5 }, () => prompt),
        }),
      ),
    ).toMatchObject({ error: 'invalid_arguments' });
    expect(
      await errorOf(
        client.assistant.threads.setSuggestedPrompts({
          ...where,
          prompts: [{ title: 'no message', message: '' }],
        }),
      ),
    ).toMatchObject({ error: 'invalid_arguments' });
    expect(
      await errorOf(
        client.assistant.threads.setTitle({ ...where, thread_ts: '1.000001', title: 'x' }),
      ),
    ).toMatchObject({ error: 'invalid_thread_ts' });
    expect(await errorOf(client.assistant.threads.setTitle({ ...where, title: '' }))).toMatchObject(
      { error: 'invalid_arguments' },
    );
  });

  it('refuses both methods without assistant:write, and sends no event without the subscription', async () => {
    const { scopes, events } = manifestSubscriptions();
    const { fake, client } = await start({
      subscriptions: {
        scopes: scopes.filter((s) => s !== 'assistant:write'),
        events: events.filter((e) => e !== 'assistant_thread_started'),
      },
    });
    expect(() => fake.startAssistantThread({ user: ALICE.id, dm: DM })).toThrow(
      /no assistant_thread_started would arrive/,
    );
    const root = fake.sendDm({ channel: DM, user: ALICE.id, text: 'hello' });
    await root.delivery.catch(() => undefined);
    expect(
      await errorOf(
        client.assistant.threads.setTitle({ channel_id: DM, thread_ts: root.ts, title: 'x' }),
      ),
    ).toMatchObject({ error: 'missing_scope', needed: 'assistant:write' });
  });

  it('keeps setTitle to its tier: a 429 with Retry-After past it', async () => {
    const { fake, client } = await start({
      rates: { methods: { 'assistant.threads.setTitle': { points: 2, windowMs: 60_000 } } },
    });
    const started = fake.startAssistantThread({ user: ALICE.id, dm: DM });
    await started.delivery.catch(() => undefined);
    const where = { channel_id: DM, thread_ts: started.ts, title: 't' };
    await client.assistant.threads.setTitle(where);
    await client.assistant.threads.setTitle(where);
    await expect(client.assistant.threads.setTitle(where)).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
    });
    expect(fake.rateLimited).toMatchObject([{ method: 'assistant.threads.setTitle' }]);
  });
});
