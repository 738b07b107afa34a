/**
 * Slack distribution, end to end: the service in OAuth mode (SLACK_CLIENT_ID)
 * against a fake Slack of several workspaces (test/fakes/slack/org.ts), real
 * Postgres and Redis. Workspaces install through /slack/install and the
 * OAuth redirect; each is answered with its own token and settings; an
 * uninstall stops every call for its workspace; a rotating token is
 * refreshed once while jobs on two processes need it at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlackOrg, type FakeSlackOrg } from '../fakes/slack/org.js';
import { startStack, type Stack } from './stack.js';
import type { ServiceProcess } from './service-process.js';

const PUBLIC_URL = 'https://chutes-bot.example.test';
const SIGNING_SECRET = 'slack-signing-secret-of-the-distributed-app';
const CLIENT_SECRET = 'slack-client-secret-never-leaks';
const STATE_SECRET = 'slack-state-secret-never-leaks-either';
const ENCRYPTION_KEY = 'a1'.repeat(32);

const ws = (n: number) => ({
  teamId: `T0TEAM000${n}`,
  botUserId: `U0BOT0000${n}`,
  botId: `B0BOT0000${n}`,
  users: [{ id: `U0ASKER00${n}`, name: `asker${n}`, displayName: `Asker ${n}` }],
  channels: Array.from({ length: 6 }, (_, i) => ({
    id: `C0W${n}CHAN0${i + 1}`,
    name: `general-${i + 1}`,
  })),
});
const ONE = ws(1);
const TWO = ws(2);
/** Installed with a token about to expire: its first use refreshes it. */
const THREE = ws(3);
/** Two workspaces of one Enterprise Grid organisation, installed org-wide: one bot user. */
const ENTERPRISE = 'E0ORG00001';
const inOrg = (n: number) => ({
  ...ws(n),
  botUserId: 'U0ORGBOT01',
  botId: 'B0ORGBOT01',
  enterpriseId: ENTERPRISE,
  enterpriseInstall: true,
});
const FOUR = inOrg(4);
const FIVE = inOrg(5);

let org: FakeSlackOrg;
let stack: Stack;
let secondWorker: ServiceProcess;

beforeAll(async () => {
  org = await startFakeSlackOrg({
    clientSecret: CLIENT_SECRET,
    signingSecret: SIGNING_SECRET,
    workspaces: [ONE, TWO, THREE, FOUR, FIVE],
    rotation: { expiresInSeconds: 12 * 3600 },
  });
  stack = await startStack({
    discord: false,
    env: {
      SLACK_CLIENT_ID: org.clientId,
      SLACK_CLIENT_SECRET: CLIENT_SECRET,
      SLACK_STATE_SECRET: STATE_SECRET,
      SLACK_ENCRYPTION_KEY: ENCRYPTION_KEY,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: org.apiUrl.replace(/\/$/, ''),
      PUBLIC_URL,
    },
  });
  org.setEventsUrl(`http://127.0.0.1:${stack.service.port}/slack/events`);
  secondWorker = await stack.startService({ ROLE: 'worker' });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await org?.close();
});

/** An installer of `team` goes through the install page, Slack's consent and the redirect. */
async function install(team: ReturnType<typeof ws>, orgWide = false): Promise<Response> {
  const service = `http://127.0.0.1:${stack.service.port}`;
  const page = await fetch(`${service}/slack/install`);
  expect(page.status).toBe(200);
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  expect(cookie).toBeDefined();
  const html = await page.text();
  const href = /<a href="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  expect(href).toMatch(new RegExp(`^${org.baseUrl}/oauth/v2/authorize\\?`));
  const consent = await fetch(href!);
  expect(consent.status).toBe(200);
  const userId = team.users[0]!.id;
  const back = new URL(
    org.approve(
      href!,
      orgWide ? { enterpriseId: ENTERPRISE, userId } : { teamId: team.teamId, userId },
    ),
  );
  // Slack sends the browser to PUBLIC_URL; here that is the service itself.
  expect(`${back.origin}${back.pathname}`).toBe(`${PUBLIC_URL}/slack/oauth_redirect`);
  return fetch(`${service}${back.pathname}${back.search}`, {
    headers: { cookie: cookie! },
    redirect: 'manual',
  });
}

function ask(team: ReturnType<typeof ws>, channel: string, text: string) {
  const slack = org.workspace(team.teamId);
  const sent = slack.sendMention({ channel, user: team.users[0]!.id, text });
  return { slack, sent };
}

async function answered(team: ReturnType<typeof ws>, channel: string, threadTs: string) {
  const slack = org.workspace(team.teamId);
  return slack.waitFor(
    () =>
      slack
        .botMessages(channel, threadTs)
        .find((m) => m.streaming !== 'streaming' && m.text.trim() !== ''),
    20_000,
    `the answer in ${team.teamId}`,
  );
}

const installation = async (key: string) =>
  (
    await stack.database.pool.query<{ bot_token: string; bot_refresh_token: string | null }>(
      'SELECT bot_token, bot_refresh_token FROM slack_installations WHERE key = $1',
      [key],
    )
  ).rows[0];

describe('Slack distribution (OAuth install), end to end', () => {
  it('installs two workspaces through the OAuth flow; each is answered with its own token and settings', async () => {
    // The state is checked: a redirect without the install page's cookie installs nothing.
    const forged = await fetch(
      `http://127.0.0.1:${stack.service.port}/slack/oauth_redirect?code=x&state=y`,
    );
    expect(forged.status).toBe(400);
    // The start-up summary says where workspaces install the app.
    const up = stack.service.logs.find((line) => line.msg === 'chutes-bot is up');
    expect(up?.['slackInstallUrl']).toBe(`${PUBLIC_URL}/slack/install`);

    for (const team of [ONE, TWO]) {
      const done = await install(team);
      expect(done.status).toBe(200);
      const row = await installation(team.teamId);
      // Sealed at rest: neither token is readable in the database.
      expect(row?.bot_token).toMatch(/^v1:/);
      expect(row?.bot_token).not.toContain('xox');
      expect(row?.bot_refresh_token).not.toContain('xox');
    }
    // Workspace two chose another model.
    await stack.database.pool.query(
      `INSERT INTO tenant_settings (platform, tenant_id, model) VALUES ('slack', $1, 'model-b')`,
      [TWO.teamId],
    );

    const one = ask(ONE, ONE.channels[0]!.id, 'hello from one');
    const two = ask(TWO, TWO.channels[0]!.id, 'hello from two');
    expect((await one.sent.delivery).acknowledged).toBe(true);
    expect((await two.sent.delivery).acknowledged).toBe(true);
    await answered(ONE, ONE.channels[0]!.id, one.sent.ts);
    await answered(TWO, TWO.channels[0]!.id, two.sent.ts);

    // Every call for a workspace carried a token issued to that workspace, and none failed.
    for (const team of [ONE, TWO]) {
      const mine = org.calls.filter((c) => c.teamId === team.teamId);
      // The answer: streamed, or posted whole when the model was done first.
      expect(
        mine.filter((c) => ['chat.startStream', 'chat.postMessage'].includes(c.method)),
      ).toHaveLength(1);
      expect(new Set(mine.map((c) => c.token))).toEqual(new Set(org.tokensOf(team.teamId)));
    }
    expect(org.calls.filter((c) => c.method !== 'oauth.v2.access' && !c.ok)).toEqual([]);
    // Each with its own settings.
    const models = stack.chutes.requests
      .filter((r) => r.path.endsWith('/chat/completions'))
      .map((r) => JSON.stringify(r.body));
    expect(models.some((b) => b.includes('hello from one') && b.includes('"model-a"'))).toBe(true);
    expect(models.some((b) => b.includes('hello from two') && b.includes('"model-b"'))).toBe(true);
    // Commands too: each workspace's /settings shows its own model.
    for (const [team, model] of [
      [ONE, 'model-a'],
      [TWO, 'model-b'],
    ] as const) {
      const slack = org.workspace(team.teamId);
      const sent = slack.runCommand({
        command: '/settings',
        text: 'show',
        user: team.users[0]!.id,
        channel: team.channels[3]!.id,
      });
      const answer = await slack.waitFor(
        () => slack.commandResponses(sent.id).find((r) => r.via === 'response_url'),
        15_000,
        `/settings show in ${team.teamId}`,
      );
      expect(answer.text).toMatch(new RegExp(`\\*model\\*\\S*: \`${model}\``));
    }
    // And /imagine's upload (files.uploadV2) carries workspace one's token.
    const slack = org.workspace(ONE.teamId);
    const imagine = slack.runCommand({
      command: '/imagine',
      text: 'a fox',
      user: ONE.users[0]!.id,
      channel: ONE.channels[4]!.id,
    });
    expect((await imagine.ack).acknowledged).toBe(true);
    await slack.waitFor(
      () => slack.files.find((f) => f.channel === ONE.channels[4]!.id && f.completedAt),
      15_000,
      'the uploaded image',
    );
    const uploads = org.calls.filter((c) => c.method.startsWith('files.'));
    expect(uploads.map((c) => c.method)).toEqual([
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
    expect(uploads.every((c) => c.ok && org.tokensOf(ONE.teamId).includes(c.token!))).toBe(true);
  });

  it('an uninstall removes the installation at once, and no call for that workspace follows', async () => {
    const channel = TWO.channels[1]!.id;
    // An answer in flight when the app is removed.
    stack.chutes.script({
      chunks: Array.from({ length: 30 }, (_, i) => `part${i} `),
      chunkDelayMs: 150,
    });
    const { slack, sent } = ask(TWO, channel, 'count slowly');
    await slack.waitFor(() => slack.botMessages(channel, sent.ts)[0], 10_000, 'the answer started');
    await org.uninstall(TWO.teamId);
    expect(await installation(TWO.teamId)).toBeUndefined();
    const after = Date.now();
    // The job fails for good (no retry loop), its reason in the failed set.
    const failed = await slack.waitFor(
      async () =>
        (await stack.chatQueue.getFailed()).find((job) =>
          /has no installation/.test(job.failedReason ?? ''),
        ),
      15_000,
      'the job failed with its reason',
    );
    expect(failed.attemptsMade).toBe(1);
    // Another question there is not answered, and nothing is called with its tokens.
    const later = ask(TWO, TWO.channels[2]!.id, 'anyone there?');
    expect((await later.sent.delivery).acknowledged).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const revokedCalls = org.calls.filter((c) => c.token && org.isRevoked(c.token));
    expect(revokedCalls.filter((c) => c.at >= after)).toEqual([]);
    expect(org.calls.filter((c) => c.teamId === TWO.teamId && c.at >= after)).toEqual([]);
    expect(slack.botMessages(TWO.channels[2]!.id)).toEqual([]);
    // Workspace one is not affected.
    const one = ask(ONE, ONE.channels[1]!.id, 'still here?');
    await answered(ONE, ONE.channels[1]!.id, one.sent.ts);
  });

  it('refreshes a rotating token once while jobs on two processes need it at once', async () => {
    // Issued with less than the refresh margin left; the refreshed ones live 12 hours.
    org.expiresInSeconds = 120;
    expect((await install(THREE)).status).toBe(200);
    org.expiresInSeconds = 12 * 3600;
    const before = await installation(THREE.teamId);

    const asked = THREE.channels.map((c, i) => ({ c, ...ask(THREE, c.id, `question ${i}`) }));
    for (const { c, sent } of asked) await answered(THREE, c.id, sent.ts);

    expect(org.refreshes.filter((r) => r.teamId === THREE.teamId)).toHaveLength(1);
    expect(org.refreshes.filter((r) => !r.ok)).toEqual([]);
    const [first, second] = org.tokensOf(THREE.teamId);
    const after = await installation(THREE.teamId);
    expect(after?.bot_token).not.toBe(before?.bot_token);
    // The install's own check used the first token; everything after it, the refreshed one.
    const calls = org.calls.filter((c) => c.teamId === THREE.teamId);
    expect(calls[0]).toMatchObject({ method: 'auth.test', token: first });
    expect(calls.slice(1).every((c) => c.token === second && c.ok)).toBe(true);
    // One answer per question (streamed, or posted whole when the model was done first).
    const answers = calls.filter((c) =>
      ['chat.startStream', 'chat.postMessage'].includes(c.method),
    );
    expect(answers).toHaveLength(THREE.channels.length);
    expect(first).not.toBe(second);
    expect(secondWorker.running).toBe(true);
  });

  it('removes the installation at the first call refused with token_revoked, before the events come', async () => {
    await org.uninstall(THREE.teamId, { events: false });
    const since = Date.now();
    ask(THREE, THREE.channels[0]!.id, 'are you there?');
    await org
      .workspace(THREE.teamId)
      .waitFor(
        async () => (await installation(THREE.teamId)) === undefined,
        10_000,
        'the installation removed',
      );
    const refused = org.calls.filter((c) => c.at >= since && c.error === 'token_revoked');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    // Each process that met the refusal made that one call; none follows
    // (after a moment for a call another process had already sent).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const gone = Date.now();
    ask(THREE, THREE.channels[1]!.id, 'anyone?');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(org.calls.filter((c) => c.teamId === THREE.teamId && c.at >= gone)).toEqual([]);
  });

  it('installs org-wide once for every workspace of an organisation, each its own tenant', async () => {
    expect((await install(FOUR, true)).status).toBe(200);
    expect(await installation(ENTERPRISE)).toBeDefined();
    expect(await installation(FOUR.teamId)).toBeUndefined();
    const asked = [FOUR, FIVE].map((team) => ({
      team,
      ...ask(team, team.channels[0]!.id, 'hi org'),
    }));
    for (const { team, sent } of asked) await answered(team, team.channels[0]!.id, sent.ts);
    // One token, the organisation's, in both workspaces; each answer in its own workspace.
    const [token] = org.tokensOf(ENTERPRISE);
    for (const team of [FOUR, FIVE]) {
      const calls = org.calls.filter((c) => c.teamId === team.teamId);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.every((c) => c.token === token && c.ok)).toBe(true);
    }
    // The jobs' tenants are the workspaces (settings, quotas), each found under the organisation.
    const { rows } = await stack.database.pool.query(
      'SELECT team_id, enterprise_id FROM slack_enterprise_teams ORDER BY team_id',
    );
    expect(rows).toEqual([
      { team_id: FOUR.teamId, enterprise_id: ENTERPRISE },
      { team_id: FIVE.teamId, enterprise_id: ENTERPRISE },
    ]);
  });
});
