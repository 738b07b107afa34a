/**
 * The fake Slack of several workspaces (test/fakes/slack/org.ts) is as strict
 * as Slack about the OAuth exchange, refresh tokens and whose token works where.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlackOrg, type FakeSlackOrg } from '../fakes/slack/org.js';

let org: FakeSlackOrg;
const REDIRECT = 'https://bot.example.test/slack/oauth_redirect';
const team = (n: number) => ({
  teamId: `T0ORG000${n}`,
  botUserId: `U0ORGBOT${n}`,
  botId: `B0ORGBOT${n}`,
  users: [{ id: `U0ORGUSR${n}`, name: `user${n}` }],
  channels: [{ id: `C0ORGCHN${n}`, name: `general` }],
});

beforeAll(async () => {
  org = await startFakeSlackOrg({
    clientSecret: 'the-secret',
    workspaces: [team(1), team(2)],
    rotation: { expiresInSeconds: 3600 },
  });
});
afterAll(async () => {
  await org?.close();
});

const client = () =>
  new WebClient(undefined, { slackApiUrl: org.apiUrl, retryConfig: { retries: 0 } });
const error = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: { data?: { error?: string } }) => e.data?.error,
  );

function consent(n: number): string {
  const url = new URL(`${org.baseUrl}/oauth/v2/authorize`);
  url.searchParams.set('client_id', org.clientId);
  url.searchParams.set('scope', 'chat:write');
  url.searchParams.set('redirect_uri', REDIRECT);
  url.searchParams.set('state', 'st');
  const back = new URL(
    org.approve(url.toString(), { teamId: `T0ORG000${n}`, userId: `U0ORGUSR${n}` }),
  );
  expect(back.searchParams.get('state')).toBe('st');
  return back.searchParams.get('code')!;
}

async function exchange(n: number) {
  return client().oauth.v2.access({
    client_id: org.clientId,
    client_secret: 'the-secret',
    code: consent(n),
    redirect_uri: REDIRECT,
  });
}

describe('the fake Slack of several workspaces', () => {
  it('exchanges a code once, with the client secret and the authorized redirect_uri only', async () => {
    const code = consent(1);
    const args = { client_id: org.clientId, code, redirect_uri: REDIRECT };
    expect(await error(client().oauth.v2.access({ ...args, client_secret: 'wrong' }))).toBe(
      'bad_client_secret',
    );
    const other = consent(1);
    expect(
      await error(
        client().oauth.v2.access({
          ...args,
          code: other,
          client_secret: 'the-secret',
          redirect_uri: 'https://elsewhere/',
        }),
      ),
    ).toBe('bad_redirect_uri');
    const ok = await client().oauth.v2.access({ ...args, client_secret: 'the-secret' });
    expect(ok).toMatchObject({
      team: { id: 'T0ORG0001' },
      bot_user_id: 'U0ORGBOT1',
      is_enterprise_install: false,
      authed_user: { id: 'U0ORGUSR1' },
      expires_in: 3600,
    });
    expect(ok.access_token).toMatch(/^xoxe\.xoxb-/);
    expect(await error(client().oauth.v2.access({ ...args, client_secret: 'the-secret' }))).toBe(
      'invalid_code',
    );
  });

  it("scopes tokens to their workspace: another workspace's channel is not found", async () => {
    const one = await exchange(1);
    const bot = new WebClient(one.access_token, {
      slackApiUrl: org.apiUrl,
      retryConfig: { retries: 0 },
    });
    expect((await bot.auth.test()).team_id).toBe('T0ORG0001');
    await bot.chat.postMessage({ channel: 'C0ORGCHN1', text: 'hello' });
    expect(await error(bot.chat.postMessage({ channel: 'C0ORGCHN2', text: 'hello' }))).toBe(
      'channel_not_found',
    );
    expect(org.workspace('T0ORG0001').botMessages('C0ORGCHN1')).toHaveLength(1);
    expect(org.calls.filter((c) => c.token === one.access_token).map((c) => c.method)).toEqual([
      'auth.test',
      'chat.postMessage',
      'chat.postMessage',
    ]);
  });

  it('takes each refresh token once; the old access token works until its own expiry', async () => {
    const two = await exchange(2);
    const refresh = () =>
      client().oauth.v2.access({
        client_id: org.clientId,
        client_secret: 'the-secret',
        grant_type: 'refresh_token',
        refresh_token: two.refresh_token!,
      });
    const next = await refresh();
    expect(next.access_token).not.toBe(two.access_token);
    expect(await error(refresh())).toBe('invalid_refresh_token');
    const old = new WebClient(two.access_token, {
      slackApiUrl: org.apiUrl,
      retryConfig: { retries: 0 },
    });
    expect((await old.auth.test()).team_id).toBe('T0ORG0002');
    expect(org.refreshes.map((r) => r.ok)).toEqual([true, false]);
  });

  it('revokes every token of a workspace on uninstall, and tells the app', async () => {
    const received: string[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push((JSON.parse(body) as { event: { type: string } }).event.type);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    org.setEventsUrl(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    await org.uninstall('T0ORG0002');
    server.close();
    expect(received).toEqual(['tokens_revoked', 'app_uninstalled']);
    for (const token of org.tokensOf('T0ORG0002')) {
      expect(org.isRevoked(token)).toBe(true);
      const bot = new WebClient(token, { slackApiUrl: org.apiUrl, retryConfig: { retries: 0 } });
      expect(await error(bot.auth.test())).toBe('token_revoked');
    }
    // Workspace one is untouched.
    expect(org.tokensOf('T0ORG0001').some((t) => org.isRevoked(t))).toBe(false);
  });
});
