import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
// Named imports: under vitest the default import of this CommonJS module is `exports.default` (App).
import { App, HTTPReceiver } from '@slack/bolt';
import {
  ErrorCode,
  LogLevel,
  WebClient,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
} from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  manifestSubscriptions,
  STALE_SECONDS,
  startFakeSlack,
  type FakeSlack,
  type FakeSlackOptions,
} from '../fakes/slack/index.js';

type BoltApp = InstanceType<typeof App>;

const BOT_TOKEN = 'xoxb-test';
const APP_TOKEN = 'xapp-test';
const SECRET = 'test-signing-secret';
const TEAM = 'T0000000001';
const BOT_USER = 'U0BOT00001';
const BOT_ID = 'B0BOT00001';
const ALICE = { id: 'U0ALICE001', name: 'alice', displayName: 'Alice', isAdmin: true };
const BOB = { id: 'U0BOB00001', name: 'bob', realName: 'Bob B' };
const GENERAL = 'C0GENERAL1';
const RANDOM = 'C0RANDOM01';
const DM = 'D0ALICE001';
/** An app that hears mentions and DMs only: one event per mention. */
const MENTIONS_AND_DMS = {
  events: ['app_mention', 'message.im'],
  scopes: ['app_mentions:read', 'im:history'],
};

let slack: FakeSlack | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await slack?.close();
  slack = undefined;
});

async function start(extra: Partial<FakeSlackOptions> = {}): Promise<FakeSlack> {
  slack = await startFakeSlack({
    users: [ALICE, BOB],
    channels: [
      { id: GENERAL, name: 'general' },
      { id: RANDOM, name: 'random' },
      { id: DM, name: 'alice-dm', user: ALICE.id },
    ],
    ...extra,
  });
  return slack;
}

const web = (fake: FakeSlack, token = BOT_TOKEN) =>
  new WebClient(token, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });

/** The Slack error code a call fails with. */
async function errorOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = err as WebAPIPlatformError;
    if (e.code === ErrorCode.PlatformError) return e.data.error;
    throw err;
  }
  throw new Error('the call succeeded');
}

async function rateLimitOf(call: Promise<unknown>): Promise<WebAPIRateLimitedError> {
  try {
    await call;
  } catch (err) {
    if ((err as WebAPIRateLimitedError).code === ErrorCode.RateLimitedError) {
      return err as WebAPIRateLimitedError;
    }
    throw err;
  }
  throw new Error('the call was not rate limited');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A plain HTTP server standing in for the service; returns its `/slack/events` URL. */
async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
}

/** A real bolt App behind its HTTPReceiver; the fake posts events to it. */
async function boltHttp(
  fake: FakeSlack,
  register: (app: BoltApp) => void,
  // By default the answer waits for the listeners, so tests can assert right after it.
  processBeforeResponse = true,
): Promise<BoltApp> {
  const receiver = new HTTPReceiver({
    signingSecret: SECRET,
    logLevel: LogLevel.ERROR,
    processBeforeResponse,
  });
  const app = new App({
    token: BOT_TOKEN,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
  });
  register(app);
  fake.setEventsUrl(await listen(receiver.requestListener));
  return app;
}

const raw = (fake: FakeSlack, method: string, init: RequestInit) =>
  fetch(`${fake.apiUrl}${method}`, { method: 'POST', ...init }).then(
    async (r) => (await r.json()) as { ok: boolean; error?: string },
  );

describe('fake Slack: Web API', () => {
  it('refuses missing, wrong and misplaced tokens and keeps tokens out of the log', async () => {
    const fake = await start();
    expect(await errorOf(web(fake, '').auth.test())).toBe('not_authed');
    expect(await errorOf(web(fake, 'xoxb-wrong').auth.test())).toBe('invalid_auth');
    expect(
      await errorOf(web(fake, APP_TOKEN).chat.postMessage({ channel: GENERAL, text: 'x' })),
    ).toBe('not_allowed_token_type');
    expect(await errorOf(web(fake).apps.connections.open({}))).toBe('not_allowed_token_type');
    // The app-level token only counts in the Authorization header.
    const form = { body: new URLSearchParams({ token: APP_TOKEN }) };
    expect(await raw(fake, 'apps.connections.open', form)).toEqual({
      ok: false,
      error: 'invalid_auth',
    });
    // A token argument works for bot methods in form bodies, never inside JSON.
    expect(
      (await raw(fake, 'auth.test', { body: new URLSearchParams({ token: BOT_TOKEN }) })).ok,
    ).toBe(true);
    const json = {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: BOT_TOKEN }),
    };
    expect(await raw(fake, 'auth.test', json)).toEqual({ ok: false, error: 'not_authed' });

    const auth = await web(fake).auth.test();
    expect(auth).toMatchObject({ ok: true, team_id: TEAM, user_id: BOT_USER, bot_id: BOT_ID });
    expect(await errorOf(web(fake).apiCall('chat.nonsense', {}))).toBe('unknown_method');
    expect(fake.requests.some((r) => 'token' in r.params)).toBe(false);
    expect(fake.requests.filter((r) => r.error === 'invalid_auth')).toHaveLength(2);
  });

  it('posts markdown_text within 12,000 characters and never mixed with text or blocks', async () => {
    const fake = await start({ rates: { postMessagePerChannel: { points: 10, windowMs: 1000 } } });
    const client = web(fake);
    const first = await client.chat.postMessage({ channel: GENERAL, markdown_text: '**hi**' });
    const full = await client.chat.postMessage({
      channel: GENERAL,
      markdown_text: 'x'.repeat(12_000),
    });
    expect(Number(full.ts)).toBeGreaterThan(Number(first.ts));
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(first.message).toMatchObject({ user: BOT_USER, bot_id: BOT_ID, text: '**hi**' });
    expect(fake.message(GENERAL, first.ts!)).toMatchObject({ markdown: '**hi**', origin: 'bot' });
    expect(fake.message(GENERAL, first.ts!)?.threadTs).toBeUndefined();

    const tooLong = client.chat.postMessage({
      channel: GENERAL,
      markdown_text: 'x'.repeat(12_001),
    });
    expect(await errorOf(tooLong)).toBe('msg_too_long');
    const mixed = { channel: GENERAL, markdown_text: 'a', text: 'a' } as never;
    expect(await errorOf(client.chat.postMessage(mixed))).toBe('markdown_text_conflict');
    expect(await errorOf(client.chat.postMessage({ channel: GENERAL, text: '' }))).toBe('no_text');
    expect(await errorOf(client.chat.postMessage({ channel: 'C0NOWHERE1', text: 'x' }))).toBe(
      'channel_not_found',
    );
    // Slack truncates long text instead of refusing it.
    const long = await client.chat.postMessage({ channel: RANDOM, text: 'y'.repeat(40_010) });
    expect(fake.message(RANDOM, long.ts!)?.text).toHaveLength(40_000);
    expect(fake.botMessages(GENERAL)).toHaveLength(2);
  });

  it('keeps threads: replies need an existing parent and messages() can read one thread', async () => {
    const fake = await start({ rates: { postMessagePerChannel: { points: 10, windowMs: 1000 } } });
    const client = web(fake);
    const question = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'question?' });
    const reply = await client.chat.postMessage({
      channel: GENERAL,
      thread_ts: question.ts,
      markdown_text: 'answer',
    });
    // A reply's ts lands in the parent's thread.
    const nested = await client.chat.postMessage({
      channel: GENERAL,
      thread_ts: reply.ts!,
      text: 'more',
    });
    await client.chat.postMessage({ channel: GENERAL, text: 'elsewhere' });
    const orphan = client.chat.postMessage({ channel: GENERAL, thread_ts: '1.000001', text: 'x' });
    expect(await errorOf(orphan)).toBe('thread_not_found');

    expect(fake.message(GENERAL, nested.ts!)?.threadTs).toBe(question.ts);
    expect(fake.messages(GENERAL, { threadTs: question.ts }).map((m) => m.text)).toEqual([
      'question?',
      'answer',
      'more',
    ]);
    expect(fake.botMessages(GENERAL, question.ts)).toHaveLength(2);
    expect(fake.messages(GENERAL)).toHaveLength(4);
  });

  it("updates and deletes only the bot's messages and keeps every visible version", async () => {
    const fake = await start();
    const client = web(fake);
    const posted = await client.chat.postMessage({ channel: GENERAL, markdown_text: 'one' });
    await client.chat.update({ channel: GENERAL, ts: posted.ts!, markdown_text: 'two' });
    await client.chat.update({ channel: GENERAL, ts: posted.ts!, text: 'three' });
    const m = fake.message(GENERAL, posted.ts!);
    expect(m?.history.map((h) => [h.text, h.via])).toEqual([
      ['one', 'post'],
      ['two', 'update'],
      ['three', 'update'],
    ]);
    expect(m?.markdown).toBeUndefined();
    expect(m?.history[2]!.at).toBeGreaterThanOrEqual(m!.history[0]!.at);

    const update = (text: string, ts = posted.ts!) =>
      client.chat.update({ channel: GENERAL, ts, text });
    expect(await errorOf(update('x'.repeat(4_001)))).toBe('msg_too_long');
    expect(await errorOf(update('x', '1.000002'))).toBe('message_not_found');
    const theirs = fake.addUserMessage({ channel: GENERAL, user: BOB.id, text: 'mine' });
    expect(await errorOf(update('hacked', theirs.ts))).toBe('cant_update_message');
    expect(await errorOf(client.chat.delete({ channel: GENERAL, ts: theirs.ts }))).toBe(
      'cant_delete_message',
    );

    await client.chat.delete({ channel: GENERAL, ts: posted.ts! });
    expect(fake.message(GENERAL, posted.ts!)?.deleted).toBe(true);
    expect(fake.botMessages(GENERAL)).toHaveLength(0);
    expect(await errorOf(update('again'))).toBe('message_not_found');

    await client.chat.postEphemeral({ channel: GENERAL, user: BOB.id, markdown_text: 'psst' });
    expect(fake.ephemerals).toMatchObject([{ channel: GENERAL, user: BOB.id, markdown: 'psst' }]);
    expect(fake.messages(GENERAL, { includeDeleted: true })).toHaveLength(2);
  });

  it('answers 429 with Retry-After past a tier and lets calls through after the window', async () => {
    const fake = await start({
      rates: { windowMs: 1000, methods: { 'chat.update': { points: 2, windowMs: 1000 } } },
    });
    expect(fake.options.tiers['chat.stopStream']).toEqual({ points: 20, windowMs: 1000 });
    expect(fake.options.tiers['chat.appendStream']).toEqual({ points: 100, windowMs: 1000 });
    const client = web(fake);
    const { ts } = await client.chat.postMessage({ channel: GENERAL, text: 'v0' });
    await client.chat.update({ channel: GENERAL, ts: ts!, text: 'v1' });
    await client.chat.update({ channel: GENERAL, ts: ts!, text: 'v2' });
    const limited = await rateLimitOf(
      client.chat.update({ channel: GENERAL, ts: ts!, text: 'v3' }),
    );
    expect(limited.retryAfter).toBe(1);
    expect(fake.rateLimited).toEqual([
      {
        method: 'chat.update',
        channel: GENERAL,
        team: TEAM,
        at: expect.any(Number),
        retryAfter: 1,
      },
    ]);
    expect(fake.requests.at(-1)).toMatchObject({ status: 429, error: 'ratelimited' });
    expect(fake.message(GENERAL, ts!)?.text).toBe('v2');

    await sleep(1050);
    await client.chat.update({ channel: GENERAL, ts: ts!, text: 'v3' });
    expect(fake.message(GENERAL, ts!)?.text).toBe('v3');
  });

  it('limits chat.postMessage per channel with a short burst', async () => {
    const fake = await start({ rates: { postMessagePerChannel: { points: 3, windowMs: 1000 } } });
    const client = web(fake);
    for (const n of [1, 2, 3]) await client.chat.postMessage({ channel: GENERAL, text: `m${n}` });
    const limited = await rateLimitOf(client.chat.postMessage({ channel: GENERAL, text: 'm4' }));
    expect(limited.retryAfter).toBe(1);
    // Another channel has its own budget.
    await client.chat.postMessage({ channel: RANDOM, text: 'r1' });
    expect(fake.rateLimited.map((r) => r.channel)).toEqual([GENERAL]);
    await sleep(1050);
    await client.chat.postMessage({ channel: GENERAL, text: 'm4' });
    expect(fake.botMessages(GENERAL).map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4']);

    const defaults = await startFakeSlack();
    cleanups.push(() => defaults.close());
    expect(defaults.options.postMessagePerChannel).toEqual({ points: 3, windowMs: 3000 });
    expect(defaults.options.tiers['chat.update']).toEqual({ points: 50, windowMs: 60_000 });
  });
});

describe('fake Slack: native streaming', () => {
  const recipients = { recipient_user_id: ALICE.id, recipient_team_id: TEAM };

  it('starts, appends, stops (stop appends) and then refuses more', async () => {
    const fake = await start();
    const client = web(fake);
    const q = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'tell me' });
    await client.assistant.threads.setStatus({
      channel_id: GENERAL,
      thread_ts: q.ts,
      status: 'is thinking…',
    });
    expect(fake.status(GENERAL, q.ts)).toBe('is thinking…');

    const s = await client.chat.startStream({
      channel: GENERAL,
      thread_ts: q.ts,
      markdown_text: 'Hel',
      ...recipients,
    });
    expect(fake.status(GENERAL, q.ts)).toBeUndefined();
    expect(fake.statuses[0]).toMatchObject({ clearedBy: 'reply' });
    await client.chat.appendStream({ channel: GENERAL, ts: s.ts!, markdown_text: 'lo' });
    const stopped = await client.chat.stopStream({
      channel: GENERAL,
      ts: s.ts!,
      markdown_text: '!',
      blocks: [{ type: 'divider' }],
    });
    expect(stopped.ok).toBe(true);
    const m = fake.message(GENERAL, s.ts!);
    expect(m).toMatchObject({
      threadTs: q.ts,
      markdown: 'Hello!',
      streaming: 'stopped',
      finalBlocks: [{ type: 'divider' }],
    });
    expect(m?.history.map((h) => [h.text, h.via])).toEqual([
      ['Hel', 'start'],
      ['Hello', 'append'],
      ['Hello!', 'stop'],
    ]);
    const more = client.chat.appendStream({ channel: GENERAL, ts: s.ts!, markdown_text: 'x' });
    expect(await errorOf(more)).toBe('message_not_in_streaming_state');
    expect(await errorOf(client.chat.stopStream({ channel: GENERAL, ts: s.ts! }))).toBe(
      'message_not_in_streaming_state',
    );
    // A message that never was a stream is not in streaming state either.
    const plain = await client.chat.postMessage({ channel: GENERAL, text: 'plain' });
    const notStream = client.chat.appendStream({
      channel: GENERAL,
      ts: plain.ts!,
      markdown_text: 'x',
    });
    expect(await errorOf(notStream)).toBe('message_not_in_streaming_state');
  });

  it('streams through client.chatStream(), which sends chunks', async () => {
    const fake = await start();
    const client = web(fake);
    const q = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'go' });
    const streamer = client.chatStream({
      channel: GENERAL,
      thread_ts: q.ts,
      buffer_size: 10,
      ...recipients,
    });
    expect(await streamer.append({ markdown_text: 'Hello' })).toBeNull(); // buffered
    expect(fake.botMessages(GENERAL, q.ts)).toHaveLength(0);
    await streamer.append({ markdown_text: ', world! ' });
    await streamer.append({ markdown_text: 'Second part.' });
    await streamer.append({ markdown_text: ' End' });
    await streamer.stop();
    const m = fake.message(GENERAL, streamer.ts!);
    expect(m).toMatchObject({
      markdown: 'Hello, world! Second part. End',
      streaming: 'stopped',
      streamMode: 'chunks',
    });
    const methods = fake.requests.filter((r) => r.method.includes('Stream')).map((r) => r.method);
    expect(methods).toEqual(['chat.startStream', 'chat.appendStream', 'chat.stopStream']);
    expect(
      String(fake.requests.find((r) => r.method === 'chat.startStream')?.params['chunks']),
    ).toContain('"type":"markdown_text"');
  });

  it('refuses streams without thread or recipients outside DMs, and when the feature is off', async () => {
    const fake = await start();
    const client = web(fake);
    const q = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'q' });
    const open = (args: Record<string, unknown>) =>
      errorOf(client.chat.startStream({ channel: GENERAL, markdown_text: 'x', ...args } as never));
    expect(await open({ ...recipients })).toBe('invalid_arguments');
    expect(await open({ thread_ts: q.ts, recipient_team_id: TEAM })).toBe(
      'missing_recipient_user_id',
    );
    expect(await open({ thread_ts: q.ts, recipient_user_id: ALICE.id })).toBe(
      'missing_recipient_team_id',
    );
    expect(
      await open({ thread_ts: q.ts, recipient_user_id: 'U0NOBODY01', recipient_team_id: TEAM }),
    ).toBe('user_not_found');
    // A DM may stream at the top level; recipients are required there too by default.
    const dm = (args: Record<string, unknown>) =>
      client.chat.startStream({ channel: DM, markdown_text: 'hi', ...args } as never);
    expect(await errorOf(dm({}))).toBe('missing_recipient_user_id');
    expect((await dm(recipients)).ok).toBe(true);
    expect(fake.botMessages(DM)).toHaveLength(1);

    const lenient = await startFakeSlack({
      channels: [{ id: 'D0DM000001', name: 'dm' }],
      dmStreamsNeedRecipients: false,
    });
    cleanups.push(() => lenient.close());
    expect(
      (await web(lenient).chat.startStream({ channel: 'D0DM000001', markdown_text: 'hi' } as never))
        .ok,
    ).toBe(true);

    const off = await startFakeSlack({
      channels: [{ id: DM, name: 'dm' }],
      users: [ALICE],
      streamingEnabled: false,
    });
    cleanups.push(() => off.close());
    expect(
      await errorOf(
        web(off).chat.startStream({ channel: DM, markdown_text: 'hi', ...recipients } as never),
      ),
    ).toBe('feature_not_enabled');
  });

  it('caps a stream at 12,000 characters in all and keeps it in one content form', async () => {
    const fake = await start();
    const client = web(fake);
    const q = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'q' });
    const s = await client.chat.startStream({
      channel: GENERAL,
      thread_ts: q.ts,
      markdown_text: 'x'.repeat(7_000),
      ...recipients,
    });
    const over = client.chat.appendStream({
      channel: GENERAL,
      ts: s.ts!,
      markdown_text: 'y'.repeat(5_001),
    });
    expect(await errorOf(over)).toBe('msg_too_long');
    await client.chat.appendStream({
      channel: GENERAL,
      ts: s.ts!,
      markdown_text: 'y'.repeat(5_000),
    });
    expect(fake.message(GENERAL, s.ts!)?.markdown).toHaveLength(12_000);
    const chunks = [{ type: 'markdown_text' as const, text: 'z' }];
    expect(await errorOf(client.chat.appendStream({ channel: GENERAL, ts: s.ts!, chunks }))).toBe(
      'streaming_mode_mismatch',
    );
    expect(await errorOf(client.chat.appendStream({ channel: GENERAL, ts: s.ts! } as never))).toBe(
      'no_text',
    );
    const badChunk = [{ type: 'sparkles' }] as never;
    expect(
      await errorOf(client.chat.stopStream({ channel: GENERAL, ts: s.ts!, chunks: badChunk })),
    ).toBe('invalid_chunks');
    expect(fake.message(GENERAL, s.ts!)?.streaming).toBe('streaming');
  });

  it('refuses edits while streaming; after the stream expired it can be updated in its thread', async () => {
    const fake = await start({ streamLifetimeMs: 400 });
    const client = web(fake);
    const q = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'q' });
    const s = await client.chat.startStream({
      channel: GENERAL,
      thread_ts: q.ts,
      markdown_text: 'partial',
      ...recipients,
    });
    const edit = () =>
      client.chat.update({ channel: GENERAL, ts: s.ts!, markdown_text: 'final answer' });
    expect(await errorOf(edit())).toBe('streaming_state_conflict');
    expect(await errorOf(client.chat.delete({ channel: GENERAL, ts: s.ts! }))).toBe(
      'cant_delete_message',
    );

    await sleep(450);
    const late = client.chat.appendStream({ channel: GENERAL, ts: s.ts!, markdown_text: ' more' });
    expect(await errorOf(late)).toBe('message_not_in_streaming_state');
    expect(fake.message(GENERAL, s.ts!)?.streaming).toBe('expired');
    await edit();
    const m = fake.message(GENERAL, s.ts!);
    expect(m).toMatchObject({ markdown: 'final answer', threadTs: q.ts, streaming: 'expired' });
    expect(m?.history.at(-1)).toMatchObject({ text: 'final answer', via: 'update' });
  });

  it('stops a stream the user stopped: appends get stopped_by_user', async () => {
    const fake = await start();
    const client = web(fake);
    const q = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'q' });
    const s = await client.chat.startStream({
      channel: GENERAL,
      thread_ts: q.ts,
      markdown_text: 'a',
      ...recipients,
    });
    fake.stopStreamByUser(GENERAL, s.ts!);
    expect(
      await errorOf(client.chat.appendStream({ channel: GENERAL, ts: s.ts!, markdown_text: 'b' })),
    ).toBe('stopped_by_user');
    expect(await errorOf(client.chat.stopStream({ channel: GENERAL, ts: s.ts! }))).toBe(
      'message_not_in_streaming_state',
    );
    expect(fake.message(GENERAL, s.ts!)).toMatchObject({
      streaming: 'stopped_by_user',
      markdown: 'a',
    });
  });

  it('keeps a status per thread until the bot replies there, refuses unknown threads', async () => {
    const fake = await start();
    const client = web(fake);
    const a = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'a' });
    const b = fake.addUserMessage({ channel: GENERAL, user: BOB.id, text: 'b' });
    const setStatus = (thread_ts: string, status: string) =>
      client.assistant.threads.setStatus({ channel_id: GENERAL, thread_ts, status });
    await setStatus(a.ts, 'is thinking…');
    await setStatus(b.ts, 'is drawing…');
    await client.chat.postMessage({ channel: GENERAL, thread_ts: a.ts, text: 'done' });
    expect(fake.status(GENERAL, a.ts)).toBeUndefined();
    expect(fake.status(GENERAL, b.ts)).toBe('is drawing…');
    await setStatus(b.ts, '');
    expect(fake.status(GENERAL, b.ts)).toBeUndefined();
    expect(fake.statuses.map((s) => s.clearedBy)).toEqual([
      'reply',
      'empty-status',
      'empty-status',
    ]);
    expect(await errorOf(setStatus('1.000003', 'x'))).toBe('invalid_thread_ts');
  });
});

describe('fake Slack: files and people', () => {
  it('takes a filesUploadV2 end to end, bytes and all', async () => {
    const fake = await start();
    const client = web(fake);
    const q = fake.addUserMessage({ channel: GENERAL, user: ALICE.id, text: 'draw a cat' });
    const bytes = randomBytes(70_000);
    const res = await client.filesUploadV2({
      channel_id: GENERAL,
      thread_ts: q.ts,
      file: bytes,
      filename: 'cat.jpg',
      title: 'A cat',
      initial_comment: 'Here is *your* cat',
    });
    expect(res.ok).toBe(true);
    expect(fake.files).toHaveLength(1);
    const file = fake.files[0]!;
    expect(file.bytes?.equals(bytes)).toBe(true);
    expect(file).toMatchObject({
      name: 'cat.jpg',
      title: 'A cat',
      channel: GENERAL,
      threadTs: q.ts,
      initialComment: 'Here is *your* cat',
    });
    const [share] = fake.botMessages(GENERAL, q.ts).filter((m) => m.ts !== q.ts);
    expect(share).toMatchObject({
      text: 'Here is *your* cat',
      files: [file.id],
      origin: 'file-share',
    });
    expect(
      fake.requests.find((r) => r.method === 'files.getUploadURLExternal')?.params,
    ).toMatchObject({
      filename: 'cat.jpg',
      length: '70000',
    });
  });

  it('refuses oversized uploads, short uploads and files never uploaded', async () => {
    const fake = await start({ maxUploadBytes: 1024 });
    const client = web(fake);
    const big = client.filesUploadV2({
      channel_id: GENERAL,
      file: randomBytes(2048),
      filename: 'big.bin',
    });
    expect(await errorOf(big)).toBe('file_upload_size_restricted');
    const ticket = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 10 });
    const short = await fetch(ticket.upload_url!, { method: 'POST', body: 'only5' });
    expect(short.status).toBe(400);
    const complete = client.files.completeUploadExternal({
      files: [{ id: ticket.file_id! }],
      channel_id: GENERAL,
    });
    expect(await errorOf(complete)).toBe('file_not_found');
    expect(await errorOf(client.files.getUploadURLExternal({ filename: 'a.txt', length: 0 }))).toBe(
      'missing_argument',
    );
    expect(fake.files).toHaveLength(0);
  });

  it('describes users and conversations as users.info and conversations.info do', async () => {
    const fake = await start();
    const client = web(fake);
    const alice = await client.users.info({ user: ALICE.id });
    expect(alice.user).toMatchObject({
      id: ALICE.id,
      team_id: TEAM,
      name: 'alice',
      is_admin: true,
      is_owner: false,
      is_bot: false,
      profile: { display_name: 'Alice' },
    });
    expect((await client.users.info({ user: BOB.id })).user).toMatchObject({
      is_admin: false,
      profile: { real_name: 'Bob B' },
    });
    expect((await client.users.info({ user: BOT_USER })).user?.is_bot).toBe(true);
    expect(await errorOf(client.users.info({ user: 'U0NOBODY01' }))).toBe('user_not_found');
    expect((await client.conversations.info({ channel: GENERAL })).channel).toMatchObject({
      id: GENERAL,
      name: 'general',
      is_im: false,
    });
    const dm = (await client.conversations.info({ channel: DM })).channel;
    expect(dm).toMatchObject({ id: DM, is_im: true, user: ALICE.id });
    expect(dm?.name).toBeUndefined();
    expect(await errorOf(client.conversations.info({ channel: 'C0NOWHERE1' }))).toBe(
      'channel_not_found',
    );
  });
});

describe('fake Slack: events and commands', () => {
  it('delivers signed mentions that bolt accepts, and bolt answers in the thread', async () => {
    const fake = await start({ subscriptions: MENTIONS_AND_DMS });
    const seen: { text: string; retryNum?: number; retryReason?: string }[] = [];
    await boltHttp(fake, (app) => {
      app.event('app_mention', async ({ event, say, context }) => {
        seen.push({
          text: event.text,
          retryNum: context.retryNum,
          retryReason: context.retryReason,
        });
        await say({ text: 'pong', thread_ts: event.ts });
      });
    });
    const sent = fake.sendMention({ channel: GENERAL, user: ALICE.id, text: 'ping &lt;now&gt;' });
    const delivery = await sent.delivery;
    expect(delivery).toMatchObject({
      transport: 'http',
      status: 200,
      acknowledged: true,
      retryNum: 0,
    });
    expect(sent.eventId).toMatch(/^Ev[A-Z0-9]+$/);
    expect(seen).toEqual([
      { text: `<@${BOT_USER}> ping &lt;now&gt;`, retryNum: undefined, retryReason: undefined },
    ]);
    expect(fake.botMessages(GENERAL, sent.ts).map((m) => m.text)).toEqual(['pong']);

    const again = await fake.redeliver(sent.eventId, { retryNum: 1, reason: 'http_timeout' });
    expect(again.acknowledged).toBe(true);
    expect(seen[1]).toMatchObject({ retryNum: 1, retryReason: 'http_timeout' });
    expect(fake.deliveries.map((d) => d.id)).toEqual([sent.eventId, sent.eventId]);
  });

  it('gets 401 from bolt for a wrong secret or a stale timestamp', async () => {
    const fake = await start({ subscriptions: MENTIONS_AND_DMS });
    let calls = 0;
    await boltHttp(fake, (app) => app.event('app_mention', async () => void calls++));
    const wrong = await fake.sendMention({
      channel: GENERAL,
      user: ALICE.id,
      text: 'a',
      signing: { secret: 'nope' },
    }).delivery;
    const stale = await fake.sendMention({
      channel: GENERAL,
      user: ALICE.id,
      text: 'b',
      signing: { skewSeconds: -STALE_SECONDS },
    }).delivery;
    expect([wrong.status, stale.status]).toEqual([401, 401]);
    expect(wrong).toMatchObject({ acknowledged: false, failure: 'http_error' });
    expect(fake.unacknowledged).toHaveLength(2);
    expect(calls).toBe(0);
    const good = await fake.sendMention({ channel: GENERAL, user: ALICE.id, text: 'c' }).delivery;
    expect(good.status).toBe(200);
    expect(calls).toBe(1);
  });

  it('records late answers as unacknowledged and retries them with retry headers', async () => {
    const fake = await start({
      subscriptions: MENTIONS_AND_DMS,
      ackDeadlineMs: 250,
      retryUnacknowledged: true,
      retryDelaysMs: [0, 0],
    });
    const received: { eventId: string; retryNum?: string; reason?: string }[] = [];
    fake.setEventsUrl(
      await listen((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push({
            eventId: (JSON.parse(body) as { event_id: string }).event_id,
            retryNum: req.headers['x-slack-retry-num'] as string | undefined,
            reason: req.headers['x-slack-retry-reason'] as string | undefined,
          });
          // Too slow the first time, then a refusal that asks Slack not to retry.
          if (received.length === 1) setTimeout(() => res.writeHead(200).end(), 600);
          else res.writeHead(500, { 'X-Slack-No-Retry': '1' }).end();
        });
      }),
    );
    const sent = fake.sendMention({ channel: GENERAL, user: ALICE.id, text: 'slow' });
    expect(await sent.delivery).toMatchObject({
      acknowledged: false,
      failure: 'timeout',
      status: 0,
      latencyMs: 250,
    });
    await fake.waitFor(() => fake.unacknowledged.length === 2, 2000, 'the retry');
    await sleep(50);
    expect(received).toEqual([
      { eventId: sent.eventId, retryNum: undefined, reason: undefined },
      { eventId: sent.eventId, retryNum: '1', reason: 'http_timeout' },
    ]);
    expect(fake.unacknowledged.map((u) => [u.retryNum, u.failure])).toEqual([
      [0, 'timeout'],
      [1, 'http_error'],
    ]);
    expect(fake.deliveries.at(-1)).toMatchObject({ noRetry: true, retryReason: 'http_timeout' });
  });

  it("delivers DMs and other apps' messages as message events; bolt ignores the bot's own", async () => {
    const fake = await start();
    const got: { channel_type?: string; bot_id?: string; text?: string }[] = [];
    await boltHttp(fake, (app) =>
      app.message(async ({ message }) => void got.push(message as never)),
    );
    const own = await fake.sendMessageEvent({
      channel: GENERAL,
      user: BOT_USER,
      bot_id: BOT_ID,
      text: 'me',
    }).delivery;
    const dm = fake.sendDm({ channel: DM, user: ALICE.id, text: 'hello bot' });
    await dm.delivery;
    await fake.sendMessageEvent({
      channel: GENERAL,
      bot_id: 'B0OTHER001',
      subtype: 'bot_message',
      text: 'beep',
    }).delivery;
    expect(own.acknowledged).toBe(true);
    expect(got.map((m) => [m.channel_type, m.bot_id, m.text])).toEqual([
      ['im', undefined, 'hello bot'],
      ['channel', 'B0OTHER001', 'beep'],
    ]);
    expect(fake.message(DM, dm.ts)).toMatchObject({ user: ALICE.id, origin: 'user' });
    expect(fake.messages(GENERAL).map((m) => m.origin)).toEqual(['bot', 'other-app']);
    expect(() => fake.sendDm({ channel: DM, user: BOB.id, text: 'not my DM' })).toThrow(/only/);
  });

  it('delivers channel messages only as the manifest subscribes, with scope and membership', async () => {
    const PRIVATE = 'G0PRIVATE1';
    const GROUP_DM = 'C0GROUPDM1';
    const channels = [
      { id: GENERAL, name: 'general' },
      { id: RANDOM, name: 'random', botIsMember: false },
      { id: PRIVATE, name: 'secret' },
      { id: GROUP_DM, name: 'mpdm-alice--bob', type: 'mpim' as const },
      { id: DM, name: 'alice-dm', user: ALICE.id },
    ];
    // The committed manifest: mentions, DMs and the messages of every channel the bot is in.
    const fake = await start({ channels });
    expect(fake.options.subscriptions).toEqual(manifestSubscriptions());
    const got: { type: string; channel_type?: string; thread_ts?: string; parent?: string }[] = [];
    await boltHttp(fake, (app) => {
      app.event('app_mention', async ({ event }) => void got.push({ type: event.type }));
      app.message(async ({ message }) => {
        const m = message as { channel_type: string; thread_ts?: string; parent_user_id?: string };
        got.push({
          type: 'message',
          channel_type: m.channel_type,
          ...(m.thread_ts ? { thread_ts: m.thread_ts, parent: m.parent_user_id } : {}),
        });
      });
    });
    const top = fake.sendMessage({ channel: GENERAL, user: ALICE.id, text: 'morning all' });
    expect(top.mention).toBeUndefined();
    expect((await top.message!.delivery).acknowledged).toBe(true);
    const reply = fake.sendMessage({
      channel: GENERAL,
      user: BOB.id,
      text: 'morning',
      threadTs: top.ts,
    });
    await reply.message!.delivery;
    // A mention is delivered twice: as app_mention and as the channel's message.
    const mention = fake.sendMessage({
      channel: PRIVATE,
      user: ALICE.id,
      text: `<@${BOT_USER}> hi`,
    });
    await Promise.all([mention.mention!.delivery, mention.message!.delivery]);
    expect(mention.mention!.eventId).not.toBe(mention.message!.eventId);
    await fake.sendMessage({ channel: GROUP_DM, user: BOB.id, text: 'hey' }).message!.delivery;
    // Not in the channel: Slack sends nothing at all.
    expect(fake.sendMessage({ channel: RANDOM, user: ALICE.id, text: 'psst' })).toEqual({
      ts: expect.any(String),
    });
    expect(() => fake.sendMention({ channel: RANDOM, user: ALICE.id, text: 'hi' })).toThrow(
      /not in C0RANDOM01/,
    );
    expect(got).toEqual([
      { type: 'message', channel_type: 'channel' },
      { type: 'message', channel_type: 'channel', thread_ts: top.ts, parent: ALICE.id },
      expect.anything(),
      expect.anything(),
      { type: 'message', channel_type: 'mpim' },
    ]);
    expect(got.slice(2, 4)).toEqual(
      expect.arrayContaining([{ type: 'app_mention' }, { type: 'message', channel_type: 'group' }]),
    );
  });

  it('delivers no channel messages to an app without message.channels, and refuses events without their scope', async () => {
    const fake = await start({ subscriptions: MENTIONS_AND_DMS });
    const posted = fake.sendMessage({ channel: GENERAL, user: ALICE.id, text: 'anyone?' });
    expect(posted.message).toBeUndefined();
    const mention = fake.sendMessage({
      channel: GENERAL,
      user: ALICE.id,
      text: `<@${BOT_USER}> a`,
    });
    expect(mention.mention).toBeDefined();
    // This fake has no app to deliver to: the delivery fails, which is not what is tested here.
    mention.mention!.delivery.catch(() => undefined);
    expect(mention.message).toBeUndefined();
    // An edit is a message_changed event: not for this app; a mention in it is.
    expect(fake.editMessage({ channel: GENERAL, ts: posted.ts, text: 'anyone at all?' })).toEqual(
      [],
    );
    expect(() =>
      fake.sendMessageEvent({ channel: GENERAL, bot_id: 'B0OTHER001', text: 'beep' }),
    ).toThrow(/message.channels/);
    const dm = fake.sendDm({ channel: DM, user: ALICE.id, text: 'hi' });
    dm.delivery.catch(() => undefined); // no app to deliver to, as above
    expect(dm.eventId).toMatch(/^Ev/);
    await expect(
      startFakeSlack({ subscriptions: { events: ['message.channels'], scopes: ['chat:write'] } }),
    ).rejects.toThrow(/message.channels needs the scope channels:history/);
  });

  it('runs a slash command: the ack body is the first response, response_url has its rules', async () => {
    const fake = await start();
    const commands: Record<string, string>[] = [];
    await boltHttp(
      fake,
      (app) => {
        app.command('/imagine', async ({ ack, command, respond }) => {
          commands.push(command);
          await ack({ text: 'Generating…', response_type: 'ephemeral' });
          await respond({ text: 'A *cat*', response_type: 'in_channel' });
        });
        // Acknowledge at ack(), as the service does: the response_url post comes after.
      },
      false,
    );
    const sent = fake.runCommand({
      command: '/imagine',
      text: 'a cat',
      user: ALICE.id,
      channel: GENERAL,
    });
    const ack = await sent.ack;
    expect(ack).toMatchObject({ acknowledged: true, status: 200 });
    await fake.waitFor(() => fake.commandResponses(sent.id).length === 2, 2000, 'respond()');
    expect(commands[0]).toMatchObject({
      command: '/imagine',
      text: 'a cat',
      user_id: ALICE.id,
      user_name: 'alice',
      channel_id: GENERAL,
      channel_name: 'general',
      team_id: TEAM,
      api_app_id: 'A0APP00001',
      is_enterprise_install: 'false',
      response_url: sent.responseUrl,
    });
    expect(commands[0]!['trigger_id']).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    expect(fake.commandResponses(sent.id).map((r) => [r.via, r.responseType, r.text])).toEqual([
      ['ack', 'ephemeral', 'Generating…'],
      ['response_url', 'in_channel', 'A *cat*'],
    ]);
    expect(fake.botMessages(GENERAL)).toMatchObject([
      { text: 'A *cat*', origin: 'command-response' },
    ]);

    const post = (body: unknown) =>
      fetch(sent.responseUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const md = await post({ markdown_text: '**no**' });
    expect([md.status, await md.json()]).toMatchObject([
      400,
      { ok: false, error: 'invalid_payload' },
    ]);
    for (let use = 2; use <= 5; use++)
      expect((await post({ text: `use ${use}` })).status).toBe(200);
    const sixth = await post({ text: 'one too many' });
    expect([sixth.status, await sixth.json()]).toEqual([404, { ok: false, error: 'expired_url' }]);
    expect(fake.commandResponses(sent.id)).toHaveLength(6);
  });

  it('marks a late command ack unacknowledged (the user sees operation_timeout)', async () => {
    const fake = await start({ ackDeadlineMs: 100 });
    let contentType: string | undefined;
    fake.setEventsUrl(
      await listen((req, res) => {
        contentType = req.headers['content-type'];
        setTimeout(() => res.writeHead(200).end(), 250);
      }),
    );
    const sent = fake.runCommand({
      command: '/imagine',
      text: 'slow',
      user: BOB.id,
      channel: RANDOM,
    });
    expect(await sent.ack).toMatchObject({
      acknowledged: false,
      failure: 'timeout',
      userNotice: 'operation_timeout',
    });
    expect(contentType).toBe('application/x-www-form-urlencoded');
    expect(fake.commandResponses(sent.id)).toEqual([]);
  });

  it('answers url_verification through bolt', async () => {
    const fake = await start();
    await boltHttp(fake, () => undefined);
    const result = await fake.verifyUrl();
    expect(result).toMatchObject({ status: 200, ok: true, body: { challenge: result.challenge } });
  });

  it('hands out single-use socket URLs, greets with hello, sends envelopes and asks to reconnect', async () => {
    const fake = await start();
    const { url } = await web(fake, APP_TOKEN).apps.connections.open({});
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket\?ticket=\w+&app_id=A0APP00001$/);
    const ws = new WebSocket(url!);
    cleanups.push(() => ws.terminate());
    const next = () =>
      new Promise<Record<string, unknown>>((r) =>
        ws.once('message', (d) => r(JSON.parse(String(d)) as Record<string, unknown>)),
      );
    expect(await next()).toMatchObject({
      type: 'hello',
      num_connections: 1,
      connection_info: { app_id: 'A0APP00001' },
      debug_info: { host: expect.any(String) },
    });
    const reused = new WebSocket(url!);
    const refused = await new Promise((r) =>
      reused.once('unexpected-response', (_req, res) => r(res.statusCode)),
    );
    expect(refused).toBe(401);

    const sent = fake.sendMention({ channel: GENERAL, user: ALICE.id, text: 'raw' });
    const envelope = await next();
    expect(envelope).toMatchObject({
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: 0,
      payload: { type: 'event_callback', event_id: sent.eventId, event: { type: 'app_mention' } },
    });
    ws.send(JSON.stringify({ envelope_id: envelope['envelope_id'] }));
    expect(await sent.delivery).toMatchObject({ transport: 'socket', acknowledged: true });
    fake.requestSocketReconnect();
    expect(await next()).toMatchObject({ type: 'disconnect', reason: 'refresh_requested' });
  });

  it('delivers mentions and commands over socket mode to a bolt socket-mode app', async () => {
    const fake = await start({ subscriptions: MENTIONS_AND_DMS });
    const app = new App({
      token: BOT_TOKEN,
      appToken: APP_TOKEN,
      socketMode: true,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    });
    app.event('app_mention', async ({ event, say }) => {
      await say({ markdown_text: `echo: ${event.text}`, thread_ts: event.ts });
    });
    app.command('/imagine', async ({ ack }) => {
      await ack({ text: 'queued' });
    });
    await app.start();
    cleanups.push(async () => {
      await app.stop();
      // stop() does not wait for the close handshake; closing the fake first would cut it.
      await fake.waitFor(() => fake.socketConnections.every((c) => c.closedAt), 2000, 'disconnect');
    });
    expect(fake.socketConnections).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === 'apps.connections.open')).toMatchObject([
      { ok: true },
    ]);

    const sent = fake.sendMention({ channel: GENERAL, user: ALICE.id, text: 'over the socket' });
    expect(await sent.delivery).toMatchObject({
      transport: 'socket',
      acknowledged: true,
      status: 200,
    });
    const [reply] = await fake.waitFor(() => {
      const replies = fake.botMessages(GENERAL, sent.ts);
      return replies.length ? replies : undefined;
    });
    expect(reply?.markdown).toBe(`echo: <@${BOT_USER}> over the socket`);

    const cmd = fake.runCommand({
      command: '/imagine',
      text: 'a dog',
      user: BOB.id,
      channel: GENERAL,
    });
    expect(await cmd.ack).toMatchObject({ transport: 'socket', acknowledged: true });
    expect(fake.commandResponses(cmd.id)).toMatchObject([{ via: 'ack', text: 'queued' }]);
    expect(fake.socketConnections[0]).toMatchObject({ sent: 2, acked: 2 });
  });
});
