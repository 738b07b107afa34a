/** The fake Slack as the benchmark drives and reads it. */
import { startFakeSlack, type FakeSlack, type StoredMessage } from '../test/fakes/slack/index.js';
import { tally, type Asked, type PlatformDriver } from './driver.js';
import type { AnswerView, Version } from './metrics.js';
import { SLACK, type Workload } from './workloads.js';

const POSTS = ['chat.postMessage', 'chat.startStream'];
const EDITS = ['chat.update', 'chat.appendStream'];

export async function slackDriver(w: Workload): Promise<PlatformDriver> {
  const channels = Array.from({ length: w.channels }, (_, i) => SLACK.channel(i + 1));
  const slack = await startFakeSlack({
    botToken: SLACK.botToken,
    signingSecret: SLACK.signingSecret,
    teamId: SLACK.team,
    botUserId: SLACK.botUserId,
    botId: SLACK.botId,
    users: SLACK.askers,
    channels: channels.map((id, i) => ({ id, name: `bench-${i + 1}` })),
  });
  const apiUrl = slack.apiUrl.replace(/\/$/, '');
  const undelivered: string[] = [];
  const isBot = (m: StoredMessage) => m.user === SLACK.botUserId && m.botId === SLACK.botId;

  return {
    serviceEnv: {
      SLACK_BOT_TOKEN: SLACK.botToken,
      SLACK_SIGNING_SECRET: SLACK.signingSecret,
      SLACK_API_URL: apiUrl,
    },
    naiveEnv: {
      SLACK_BOT_TOKEN: SLACK.botToken,
      SLACK_SIGNING_SECRET: SLACK.signingSecret,
      SLACK_API_URL: apiUrl,
    },
    naiveBot: 'slack',
    eventsTo: (port) => slack.setEventsUrl(`http://127.0.0.1:${port}/slack/events`),

    ask: (i, marker) =>
      askSlack(
        slack,
        channels[i % channels.length]!,
        SLACK.askers[i % SLACK.askers.length]!.id,
        marker,
        undelivered,
      ),

    views: (asked, modelText) => asked.map((a) => slackAnswerView(slack, a, isBot, modelText)),

    counts() {
      const okCalls = slack.requests.filter((r) => r.ok);
      const failed = slack.requests.filter((r) => !r.ok && r.status !== 429);
      return {
        posts: okCalls.filter((r) => POSTS.includes(r.method)).length,
        edits: okCalls.filter((r) => EDITS.includes(r.method)).length,
        rateLimited: slack.rateLimited.length,
        detail: [
          ...tally(slack.rateLimited.map((r) => `429 ${r.method}`)),
          ...tally(okCalls.map((r) => `ok ${r.method}`)),
          ...tally(failed.map((r) => `failed ${r.method}: ${r.error ?? r.status}`)),
          ...(undelivered.length
            ? [
                `${undelivered.length} events not acknowledged: ${undelivered.slice(0, 3).join('; ')}`,
              ]
            : []),
        ],
      };
    },

    close: () => slack.close(),
  };
}

/** What one question got in its thread of one (fake) workspace. */
export function slackAnswerView(
  slack: FakeSlack,
  a: Asked,
  isBot: (m: StoredMessage) => boolean,
  modelText: (marker: string) => string,
): AnswerView {
  const replies = slack
    .messages(a.channel, { threadTs: a.key, includeDeleted: true })
    .filter(isBot);
  const pages = replies.map((m): Version[] => [
    ...m.history.map((v) => ({ at: v.at, text: v.text })),
    ...(m.deleted ? [{ at: m.deletedAt ?? m.postedAt, text: '' }] : []),
  ]);
  const statusAt = slack.statuses
    .filter((s) => s.channel === a.channel && s.threadTs === a.key && s.status !== '')
    .map((s) => s.at);
  const seen = [...replies.map((m) => m.postedAt), ...statusAt];
  return {
    marker: a.marker,
    eventAt: a.eventAt,
    modelText: modelText(a.marker),
    firstVisibleAt: seen.length ? Math.min(...seen) : undefined,
    firstMessageAt: replies.length ? Math.min(...replies.map((m) => m.postedAt)) : undefined,
    pages,
  };
}

/** Posts question `marker` as a mention; a delivery Slack would not count as acknowledged goes to `undelivered`. */
export function askSlack(
  slack: FakeSlack,
  channel: string,
  user: string,
  marker: string,
  undelivered: string[],
): Asked {
  const sent = slack.sendMention({ channel, user, text: `${marker}: what do you think?` });
  sent.delivery.then(
    (r) => {
      if (!r.acknowledged) undelivered.push(`${marker}: ${r.failure ?? `HTTP ${r.status}`}`);
    },
    (err: unknown) => undelivered.push(`${marker}: ${String(err)}`),
  );
  const eventAt = slack.message(channel, sent.ts)?.postedAt ?? Date.now();
  return { marker, eventAt, channel, key: sent.ts };
}
