/**
 * Many Slack workspaces for the multi-tenant workload: one fake Slack org,
 * every workspace installed through the service's OAuth flow (install page,
 * consent, redirect), then asked in like one workspace is in slack-driver.ts.
 */
import { startFakeSlackOrg, type FakeSlackOrg } from '../test/fakes/slack/org.js';
import type { StoredMessage } from '../test/fakes/slack/index.js';
import { tally, type Asked, type PlatformCounts } from './driver.js';
import type { AnswerView } from './metrics.js';
import { askSlack, slackAnswerView } from './slack-driver.js';

const POSTS = ['chat.postMessage', 'chat.startStream'];
const EDITS = ['chat.update', 'chat.appendStream'];
const CLIENT_SECRET = 'bench-client-secret';
const SIGNING_SECRET = 'bench-signing-secret';
const STATE_SECRET = 'bench-state-secret-0123456789';
const ENCRYPTION_KEY = 'a'.repeat(64);

interface Workspace {
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly users: { id: string; name: string; displayName: string }[];
  readonly channels: { id: string; name: string }[];
}

const workspace = (n: number): Workspace => {
  const k = String(n).padStart(4, '0');
  return {
    teamId: `T0BENCH${k}`,
    botUserId: `U0BOTB${k}`,
    botId: `B0BOTB${k}`,
    users: Array.from({ length: 4 }, (_, i) => ({
      id: `U0W${k}A${i}`,
      name: `member${i}`,
      displayName: `Member ${i}`,
    })),
    channels: Array.from({ length: 2 }, (_, i) => ({
      id: `C0W${k}C${i}`,
      name: `bench-${i + 1}`,
    })),
  };
};

export interface SlackTenants {
  readonly org: FakeSlackOrg;
  /** The service's Slack variables in OAuth mode, with PUBLIC_URL. */
  serviceEnv(publicUrl: string): Record<string, string>;
  eventsTo(port: number): void;
  /** Installs every workspace through the service on `port`, one after another. */
  install(port: number): Promise<void>;
  /** Question i goes to workspace i % n, alternating its channels. */
  ask(i: number, marker: string): Asked;
  views(asked: readonly Asked[], modelText: (marker: string) => string): AnswerView[];
  counts(): PlatformCounts;
  close(): Promise<void>;
}

export async function slackTenants(count: number): Promise<SlackTenants> {
  const spaces = Array.from({ length: count }, (_, i) => workspace(i + 1));
  const org = await startFakeSlackOrg({
    clientSecret: CLIENT_SECRET,
    signingSecret: SIGNING_SECRET,
    workspaces: spaces,
    // Slack's own lifetime: no refresh happens within a run.
    rotation: { expiresInSeconds: 12 * 3600 },
  });
  const teamOf = new Map(spaces.flatMap((w) => w.channels.map((c) => [c.id, w])));
  let publicUrl = '';
  const undelivered: string[] = [];

  return {
    org,
    serviceEnv(url) {
      publicUrl = url;
      return {
        SLACK_CLIENT_ID: org.clientId,
        SLACK_CLIENT_SECRET: CLIENT_SECRET,
        SLACK_STATE_SECRET: STATE_SECRET,
        SLACK_ENCRYPTION_KEY: ENCRYPTION_KEY,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: org.apiUrl.replace(/\/$/, ''),
        PUBLIC_URL: url,
      };
    },
    eventsTo: (port) => org.setEventsUrl(`http://127.0.0.1:${port}/slack/events`),

    async install(port) {
      const service = `http://127.0.0.1:${port}`;
      for (const w of spaces) {
        const page = await fetch(`${service}/slack/install`);
        const cookie = page.headers.get('set-cookie')?.split(';')[0];
        const href = /<a href="([^"]+)"/.exec(await page.text())?.[1]?.replace(/&amp;/g, '&');
        if (!cookie || !href) throw new Error(`install page of ${service} has no link or cookie`);
        const back = new URL(org.approve(href, { teamId: w.teamId, userId: w.users[0]!.id }));
        if (!back.href.startsWith(publicUrl))
          throw new Error(`consent redirected to ${back.origin}`);
        const done = await fetch(`${service}${back.pathname}${back.search}`, {
          headers: { cookie },
          redirect: 'manual',
        });
        if (done.status >= 400) throw new Error(`install of ${w.teamId}: HTTP ${done.status}`);
      }
    },

    ask(i, marker): Asked {
      const w = spaces[i % spaces.length]!;
      const channel = w.channels[Math.floor(i / spaces.length) % w.channels.length]!.id;
      const user = w.users[i % w.users.length]!.id;
      return askSlack(org.workspace(w.teamId), channel, user, marker, undelivered);
    },

    views: (asked, modelText) =>
      asked.map((a) => {
        const w = teamOf.get(a.channel)!;
        const isBot = (m: StoredMessage) => m.user === w.botUserId && m.botId === w.botId;
        return slackAnswerView(org.workspace(w.teamId), a, isBot, modelText);
      }),

    counts() {
      const requests = spaces.flatMap((w) => org.workspace(w.teamId).requests);
      const rateLimited = spaces.flatMap((w) => org.workspace(w.teamId).rateLimited);
      const okCalls = requests.filter((r) => r.ok);
      const failed = requests.filter((r) => !r.ok && r.status !== 429);
      return {
        posts: okCalls.filter((r) => POSTS.includes(r.method)).length,
        edits: okCalls.filter((r) => EDITS.includes(r.method)).length,
        rateLimited: rateLimited.length,
        detail: [
          ...tally(rateLimited.map((r) => `429 ${r.method}`)),
          ...tally(failed.map((r) => `failed ${r.method}: ${r.error ?? r.status}`)),
          ...tally(org.calls.filter((c) => !c.ok).map((c) => `refused ${c.method}: ${c.error}`)),
          ...(undelivered.length
            ? [
                `${undelivered.length} events not acknowledged: ${undelivered.slice(0, 3).join('; ')}`,
              ]
            : []),
        ],
      };
    },

    close: () => org.close(),
  };
}
