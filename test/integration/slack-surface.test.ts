/**
 * The Slack surface against the fake Slack, through the real WebClient: what
 * it sends for each operation, how Slack's refusals become SurfaceErrors, and
 * that its declared limits sit inside Slack's.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SurfaceError, type RateRule } from '../../src/core/surface.js';
import { createSlackClient } from '../../src/platforms/slack/client.js';
import { encodeSlackInteraction } from '../../src/platforms/slack/interaction-ref.js';
import { SLACK_LIMITS, SlackSurface } from '../../src/platforms/slack/surface.js';
import { DEFAULT_TIER_POINTS, startFakeSlack, type FakeSlack } from '../fakes/slack/index.js';

const TEAM = 'T0000000001';
const ANN = 'U0ANN00001';
/** Of another workspace, in a Slack Connect channel shared with TEAM. */
const BEA = 'U0BEA00001';
const BEA_TEAM = 'T0000000002';
let slack: FakeSlack;
let surface: SlackSurface;

beforeAll(async () => {
  slack = await startFakeSlack({
    teamId: TEAM,
    users: [
      { id: ANN, name: 'ann' },
      { id: BEA, name: 'bea', teamId: BEA_TEAM },
    ],
    channels: [
      { id: 'C1', name: 'one' },
      { id: 'C2', name: 'two' },
      { id: 'D1', name: 'dm', user: ANN },
      { id: 'C9', name: 'closed', botIsMember: false },
    ],
  });
  const client = createSlackClient(
    'xoxb-test',
    slack.apiUrl.replace(/\/$/, ''),
    pino({ level: 'silent' }),
  );
  surface = new SlackSurface(client);
});
afterAll(async () => {
  await slack?.close();
});

async function failure(promise: Promise<unknown>): Promise<SurfaceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SurfaceError);
  return error as SurfaceError;
}

describe('SlackSurface', () => {
  it("declares rates inside Slack's tiers, per workspace, and posts per channel", () => {
    const rules = Object.values(SLACK_LIMITS.rates).flat() as RateRule[];
    for (const rule of rules) {
      if (rule.bucket === 'chat.postMessage') {
        expect(rule.scope).toBe('channel');
        expect(rule.points / rule.windowMs).toBeLessThanOrEqual(1 / 1000);
        continue;
      }
      expect(rule.scope).toBe('tenant');
      const tier = DEFAULT_TIER_POINTS[rule.bucket as keyof typeof DEFAULT_TIER_POINTS];
      expect(tier, rule.bucket).toBeDefined();
      expect(rule.points / rule.windowMs).toBeLessThanOrEqual(tier / 60_000);
    }
    expect(SLACK_LIMITS.maxMessageLength).toBeLessThanOrEqual(12_000);
  });

  it('writes no text that notifies anyone: posts, edits, streams and their plain fallback', async () => {
    const pings = '<!channel> <!here> <!everyone> <!subteam^S1|@devs> <@U0BOB00001> &lt;!here&gt;';
    const parent = slack.addUserMessage({ channel: 'C2', user: ANN, text: 'question' });
    const ref = await surface.post('C2', `posted ${pings}`, { threadId: parent.ts });
    await surface.edit(ref, `edited ${pings}`);
    const stream = surface.openStream({
      channelId: 'C2',
      threadId: parent.ts,
      tenantId: TEAM,
      recipientId: ANN,
    })!;
    // A token split across calls is the renderer's to mute (it mutes the whole text first).
    const streamed = await stream.start(`streamed ${pings}`);
    await stream.append(streamed, ` appended ${pings}`);
    await stream.stop(streamed, ` stopped ${pings}`);
    expect(slack.pings).toEqual([]);
    expect(slack.message('C2', ref.messageId)!.markdown!.replaceAll('\u200B', '')).toBe(
      `edited ${pings}`,
    );
  });

  it('posts Markdown into a thread, updates and deletes it', async () => {
    const parent = slack.addUserMessage({ channel: 'C1', user: ANN, text: 'question' });
    const ref = await surface.post('C1', '**bold** start', { threadId: parent.ts });
    expect(slack.message('C1', ref.messageId)).toMatchObject({
      threadTs: parent.ts,
      markdown: '**bold** start',
    });
    await surface.edit(ref, '**bold** and more');
    expect(slack.message('C1', ref.messageId)!.markdown).toBe('**bold** and more');
    await surface.remove(ref);
    expect(slack.message('C1', ref.messageId)!.deleted).toBe(true);
    // Already gone is fine.
    await surface.remove(ref);
  });

  it('streams natively in a thread with the recipient named, appending and stopping', async () => {
    const parent = slack.addUserMessage({ channel: 'C1', user: ANN, text: 'stream please' });
    const stream = surface.openStream({
      channelId: 'C1',
      threadId: parent.ts,
      tenantId: TEAM,
      recipientId: ANN,
    })!;
    await stream.pending!();
    expect(slack.status('C1', parent.ts)).toBeTruthy();
    const ref = await stream.start('Hello');
    await stream.append(ref, ', world');
    // The status clears once the bot answers in the thread.
    expect(slack.status('C1', parent.ts)).toBeFalsy();
    // A streaming message cannot be edited: the core closes the stream and edits again.
    const conflict = await failure(surface.edit(ref, 'x'));
    expect(conflict).toMatchObject({ code: 'still_streaming', retryable: true });
    await stream.stop(ref, '!');
    expect(slack.message('C1', ref.messageId)).toMatchObject({
      markdown: 'Hello, world!',
      streaming: 'stopped',
      threadTs: parent.ts,
    });
    // Closed streams refuse more text the way the core falls back on.
    expect((await failure(stream.append(ref, 'late'))).code).toBe('stream_refused');
    await surface.edit(ref, 'Edited after the stream.');
    expect(slack.message('C1', ref.messageId)!.markdown).toBe('Edited after the stream.');
  });

  it("names a Slack Connect asker's own workspace as the stream's recipient team", async () => {
    const parent = slack.addUserMessage({ channel: 'C2', user: BEA, text: 'from afar' });
    const target = { channelId: 'C2', threadId: parent.ts, tenantId: TEAM, recipientId: BEA };
    // The channel owner's team is not hers: Slack refuses the stream.
    const refused = await failure(surface.openStream(target)!.start('x'));
    expect(refused.message).toContain('team_not_found');
    const stream = surface.openStream({ ...target, recipientTenantId: BEA_TEAM })!;
    const ref = await stream.start('Hello from here');
    await stream.stop(ref, '');
    const start = slack.requests.filter((r) => r.method === 'chat.startStream' && r.ok).at(-1);
    expect(start?.params).toMatchObject({ recipient_user_id: BEA, recipient_team_id: BEA_TEAM });
  });

  it('offers no stream at the top of a channel, and one in a DM', () => {
    expect(
      surface.openStream({ channelId: 'C1', tenantId: TEAM, recipientId: ANN }),
    ).toBeUndefined();
    expect(surface.openStream({ channelId: 'D1', tenantId: TEAM, recipientId: ANN })).toBeDefined();
  });

  it('turns a user stop into `stopped` and a disabled feature into `stream_refused`', async () => {
    const parent = slack.addUserMessage({ channel: 'C2', user: ANN, text: 'q' });
    const target = { channelId: 'C2', threadId: parent.ts, tenantId: TEAM, recipientId: ANN };
    const stream = surface.openStream(target)!;
    const ref = await stream.start('Partial');
    slack.stopStreamByUser('C2', ref.messageId);
    const stopped = await failure(stream.append(ref, ' more'));
    expect(stopped.code).toBe('stopped');
    expect(stopped.retryable).toBe(false);

    slack.options.streamingEnabled = false;
    try {
      expect((await failure(surface.openStream(target)!.start('x'))).code).toBe('stream_refused');
    } finally {
      slack.options.streamingEnabled = true;
    }
  });

  it('maps a channel the bot is not in to `forbidden`, and a missing one to `gone`', async () => {
    expect((await failure(surface.post('C9', 'hi'))).code).toBe('forbidden');
    expect((await failure(surface.post('C404', 'hi'))).code).toBe('gone');
  });

  it('answers a command through its response_url in mrkdwn, and uploads a file with a comment', async () => {
    // A receiver that acknowledges the command and does nothing else: the test answers it.
    const receiver = createServer((_req, res) => res.writeHead(200).end());
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    slack.setEventsUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/slack/events`);
    const command = slack.runCommand({ command: '/imagine', text: 'x', user: ANN, channel: 'C2' });
    expect((await command.ack).acknowledged).toBe(true);
    receiver.close();
    await surface.respond(
      encodeSlackInteraction({ responseUrl: command.responseUrl, channelId: 'C2' }),
      { text: '**Settings** _(default)_' },
    );
    const [answer] = slack.commandResponses(command.id).filter((r) => r.via === 'response_url');
    expect(answer!.text).toMatch(/\*Settings\*/);
    expect(answer!.text).not.toContain('**');
    expect(answer!.responseType).toBe('ephemeral');

    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    await surface.respond(
      encodeSlackInteraction({ responseUrl: command.responseUrl, channelId: 'C2' }),
      { text: '🎨 **a fox**', file: { name: 'fox.png', bytes, mime: 'image/png' } },
    );
    const file = slack.files.find((f) => f.name === 'fox.png')!;
    expect(file.channel).toBe('C2');
    expect([...file.bytes!]).toEqual([...bytes]);
    expect(file.initialComment).toContain('*a fox*');
    expect(file.initialComment).not.toContain('**');
  });
});
