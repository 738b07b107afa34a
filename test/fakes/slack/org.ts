/**
 * A Slack of several workspaces that a distributed app is installed into
 * through OAuth v2, on one origin (what SLACK_API_URL names):
 *
 *   const org = await startFakeSlackOrg({ clientId, clientSecret, signingSecret,
 *     workspaces: [{ teamId: 'T1', botUserId: 'U0BOT1', users, channels }, …],
 *     rotation?: { expiresInSeconds } })
 *   org.apiUrl                          `http://127.0.0.1:PORT/api/`
 *   GET  /oauth/v2/authorize?client_id&scope&redirect_uri&state   the consent page
 *   org.approve(authorizeUrl, { teamId, userId })   an installer says yes:
 *     -> the redirect Slack sends the browser to (`redirect_uri?code=…&state=…`);
 *     `{ enterpriseId, userId }`: an org-wide install for every workspace of the
 *     organisation (workspaces with that `enterpriseId` and `enterpriseInstall: true`,
 *     one bot user for all); its token works in each, by the channel or user it names
 *   POST /api/oauth.v2.access           code exchange (client id and secret in the
 *     form or HTTP basic; code single-use, 10 minutes, redirect_uri as authorized),
 *     or `grant_type=refresh_token` (refresh tokens single-use: `invalid_refresh_token`)
 *   org.workspace(teamId)               that workspace's own FakeSlack (events, messages)
 *   org.uninstall(teamId)               revokes its tokens, then sends `tokens_revoked`
 *     and `app_uninstalled` (signed, like every event)
 *   org.calls / org.refreshes           every Web API call with the token it carried;
 *     every refresh
 *
 * Every other `/api/<method>` call is checked here (unknown token `invalid_auth`,
 * revoked `token_revoked`, expired `token_expired`) and passed to the
 * workspace the token belongs to, whose FakeSlack is as strict as ever: a
 * channel of another workspace is `channel_not_found` there.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../shared.js';
import { startFakeSlack, type FakeSlack, type FakeSlackOptions } from './index.js';

export interface FakeSlackOrgOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Every workspace's events are signed with it (one app, one signing secret). */
  readonly signingSecret?: string;
  readonly appId?: string;
  /** Each needs its own `teamId` and bot user (`botUserId`, `botId`). */
  readonly workspaces: readonly (FakeSlackOptions & { teamId: string; botUserId: string })[];
  /** Token rotation on: bot tokens expire after `expiresInSeconds` and come with a refresh token. */
  readonly rotation?: { readonly expiresInSeconds: number };
}

export interface OrgCall {
  readonly method: string;
  /** The token it carried (Authorization header or `token` argument), if any. */
  readonly token?: string;
  /** The workspace the token belongs to, if it is known. */
  readonly teamId?: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly at: number;
}

export interface OrgRefresh {
  readonly teamId?: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly at: number;
}

/** Whose a token, code or refresh token is: a workspace's (T…) or, org-wide, an organisation's (E…). */
interface IssuedToken {
  readonly teamId: string;
  readonly expiresAt?: number;
  revoked: boolean;
}

interface Grant {
  readonly teamId: string;
  readonly userId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly expiresAt: number;
  used: boolean;
}

const CODE_TTL_MS = 10 * 60_000;

export interface FakeSlackOrg {
  readonly apiUrl: string;
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  workspace(teamId: string): FakeSlack;
  setEventsUrl(url: string): void;
  /** The installer approves the consent page at `authorizeUrl`: the redirect back to the app. */
  approve(
    authorizeUrl: string,
    as: { teamId: string; userId: string } | { enterpriseId: string; userId: string },
  ): string;
  /**
   * Removes the app from a workspace: its tokens stop working, then the two
   * events (`events: false`: not yet, as when the app's events URL is down).
   */
  uninstall(teamId: string, options?: { events?: boolean }): Promise<void>;
  /** Bot tokens issued to a workspace, oldest first. */
  tokensOf(teamId: string): string[];
  isRevoked(token: string): boolean;
  /** The lifetime of the tokens issued from now on (rotation on). */
  expiresInSeconds: number;
  readonly calls: readonly OrgCall[];
  readonly refreshes: readonly OrgRefresh[];
  close(): Promise<void>;
}

const secret = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res
    .writeHead(status, {
      'Content-Type':
        typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    })
    .end(text);
}

export async function startFakeSlackOrg(options: FakeSlackOrgOptions): Promise<FakeSlackOrg> {
  const clientId = options.clientId ?? '1111.2222';
  const clientSecret = options.clientSecret ?? 'fake-client-secret';
  const appId = options.appId ?? 'A0APP00001';
  const signingSecret = options.signingSecret ?? 'test-signing-secret';
  /** Each workspace's FakeSlack knows one bot token of its own, which only this front uses. */
  const inner = new Map<string, { slack: FakeSlack; token: string }>();
  for (const ws of options.workspaces) {
    const token = secret(`xoxb-inner-${ws.teamId}-`);
    const slack = await startFakeSlack({
      ...ws,
      botToken: token,
      signingSecret,
      appId,
      teamName: ws.teamName ?? `Workspace ${ws.teamId}`,
    });
    inner.set(ws.teamId, { slack, token });
  }
  const tokens = new Map<string, IssuedToken>();
  const refreshTokens = new Map<string, { teamId: string; used: boolean }>();
  const grants = new Map<string, Grant>();
  const calls: OrgCall[] = [];
  const refreshes: OrgRefresh[] = [];
  let expiresInSeconds = options.rotation?.expiresInSeconds ?? 0;

  const workspace = (teamId: string) => {
    const found = inner.get(teamId);
    if (!found) throw new Error(`fake-slack org: no workspace ${teamId}`);
    return found;
  };
  /** The workspaces of an organisation installed org-wide. */
  const ofEnterprise = (enterpriseId: string) =>
    [...inner.values()].filter((w) => w.slack.options.enterpriseId === enterpriseId);
  /**
   * Where a call with an owner's token goes: its workspace, or for an org-wide
   * token the organisation's workspace that has the channel the call names.
   */
  const route = (owner: string, channel: string | undefined, user: string | undefined) => {
    if (inner.has(owner)) return workspace(owner);
    const members = ofEnterprise(owner);
    const found =
      members.find((w) => w.slack.options.channels.some((c) => c.id === channel)) ??
      members.find((w) => w.slack.options.users.some((u) => u.id === user));
    return found ?? members[0]!;
  };
  /** The answer of oauth.v2.access about whom a token was issued to. */
  const installedAs = (owner: string): Record<string, unknown> => {
    if (inner.has(owner)) {
      const ws = workspace(owner).slack.options;
      return {
        bot_user_id: ws.botUserId,
        team: { id: ws.teamId, name: ws.teamName },
        enterprise: ws.enterpriseId ? { id: ws.enterpriseId, name: ws.enterpriseId } : null,
        is_enterprise_install: false,
      };
    }
    const first = ofEnterprise(owner)[0]!.slack.options;
    return {
      bot_user_id: first.botUserId,
      team: null,
      enterprise: { id: owner, name: owner },
      is_enterprise_install: true,
    };
  };

  /** A new bot token (and with rotation, its refresh token) for a workspace. */
  function issue(teamId: string): Record<string, unknown> {
    const rotating = options.rotation !== undefined;
    const access = rotating ? secret('xoxe.xoxb-1-') : secret(`xoxb-${teamId}-`);
    tokens.set(access, {
      teamId,
      revoked: false,
      ...(rotating ? { expiresAt: Date.now() + expiresInSeconds * 1000 } : {}),
    });
    if (!rotating) return { access_token: access };
    const refresh = secret('xoxe-1-');
    refreshTokens.set(refresh, { teamId, used: false });
    return { access_token: access, refresh_token: refresh, expires_in: expiresInSeconds };
  }

  function clientOf(req: IncomingMessage, form: URLSearchParams) {
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const [id, pass] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      return { id, pass };
    }
    return { id: form.get('client_id') ?? undefined, pass: form.get('client_secret') ?? undefined };
  }

  function oauthAccess(req: IncomingMessage, form: URLSearchParams): Record<string, unknown> {
    const client = clientOf(req, form);
    if (!client.id) return { ok: false, error: 'invalid_client_id' };
    if (client.id !== clientId) return { ok: false, error: 'invalid_client_id' };
    if (client.pass !== clientSecret) return { ok: false, error: 'bad_client_secret' };
    const grantType = form.get('grant_type') ?? 'authorization_code';
    if (grantType === 'refresh_token') {
      const given = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!given || given.used) {
        refreshes.push({ ok: false, error: 'invalid_refresh_token', at: Date.now() });
        return { ok: false, error: 'invalid_refresh_token' };
      }
      given.used = true;
      refreshes.push({ teamId: given.teamId, ok: true, at: Date.now() });
      return {
        ok: true,
        app_id: appId,
        scope: 'chat:write',
        token_type: 'bot',
        ...installedAs(given.teamId),
        ...issue(given.teamId),
      };
    }
    if (grantType !== 'authorization_code') return { ok: false, error: 'invalid_grant_type' };
    const code = form.get('code') ?? '';
    const grant = grants.get(code);
    if (!grant || grant.used || grant.expiresAt < Date.now())
      return { ok: false, error: 'invalid_code' };
    grant.used = true;
    if ((form.get('redirect_uri') ?? '') !== grant.redirectUri)
      return { ok: false, error: 'bad_redirect_uri' };
    return {
      ok: true,
      app_id: appId,
      authed_user: { id: grant.userId },
      scope: grant.scope,
      token_type: 'bot',
      ...installedAs(grant.teamId),
      ...issue(grant.teamId),
    };
  }

  /** The consent page's parameters, checked as Slack checks them. */
  function authorizeParams(url: URL): { scope: string; redirectUri: string; state: string } {
    if (url.searchParams.get('client_id') !== clientId)
      throw new Error('fake-slack org: the authorize URL names another client_id');
    const scope = url.searchParams.get('scope') ?? '';
    if (!scope) throw new Error('fake-slack org: the authorize URL asks for no scope');
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    if (!redirectUri) throw new Error('fake-slack org: the authorize URL has no redirect_uri');
    return { scope, redirectUri, state: url.searchParams.get('state') ?? '' };
  }

  async function proxy(method: string, req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const type = req.headers['content-type'] ?? '';
    const form = type.includes('application/x-www-form-urlencoded')
      ? new URLSearchParams(body.toString('utf8'))
      : undefined;
    const arg = form?.get('token') ?? undefined;
    const token = bearer ?? arg;
    const issued = token ? tokens.get(token) : undefined;
    const refuse = (error: string) => {
      calls.push({
        method,
        ...(token ? { token } : {}),
        ...(issued ? { teamId: issued.teamId } : {}),
        ok: false,
        error,
        at: Date.now(),
      });
      send(res, 200, { ok: false, error });
    };
    if (!token) return refuse('not_authed');
    if (!issued) return refuse('invalid_auth');
    if (issued.revoked) return refuse('token_revoked');
    if (issued.expiresAt !== undefined && issued.expiresAt <= Date.now())
      return refuse('token_expired');
    const json = type.includes('application/json')
      ? (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>)
      : {};
    const channel =
      form?.get('channel') ??
      form?.get('channel_id') ??
      (typeof json['channel'] === 'string' ? json['channel'] : undefined);
    const user = form?.get('user') ?? (typeof json['user'] === 'string' ? json['user'] : undefined);
    const target = route(issued.teamId, channel ?? undefined, user ?? undefined);
    const headers: Record<string, string> = { authorization: `Bearer ${target.token}` };
    if (type) headers['content-type'] = type;
    const answer = await fetch(`${target.slack.apiUrl}${method}`, {
      method: 'POST',
      headers,
      body: new Uint8Array(body),
    });
    const text = await answer.text();
    let parsed: { ok?: boolean; error?: string } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // not JSON: passed on as it is
    }
    calls.push({
      method,
      token,
      teamId: target.slack.options.teamId,
      ok: parsed.ok === true,
      ...(parsed.error ? { error: parsed.error } : {}),
      at: Date.now(),
    });
    const retryAfter = answer.headers.get('retry-after');
    res
      .writeHead(answer.status, {
        'Content-Type': answer.headers.get('content-type') ?? 'application/json',
        ...(retryAfter ? { 'Retry-After': retryAfter } : {}),
      })
      .end(text);
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const body = await readBody(req, 10 * 1024 * 1024);
      if (body === 'too-large') return send(res, 413, 'too large');
      if (req.method === 'GET' && url.pathname === '/oauth/v2/authorize') {
        try {
          const { scope } = authorizeParams(url);
          return send(res, 200, `<html><body>Install the app? Scopes: ${scope}</body></html>`);
        } catch (error) {
          return send(res, 400, `<html><body>${(error as Error).message}</body></html>`);
        }
      }
      const method = /^\/api\/([\w.]+)$/.exec(url.pathname)?.[1];
      if (!method || (req.method !== 'POST' && req.method !== 'GET'))
        return send(res, 404, 'not found');
      if (method === 'oauth.v2.access') {
        const form = new URLSearchParams(body.toString('utf8'));
        for (const [k, v] of url.searchParams) if (!form.has(k)) form.set(k, v);
        const reply = oauthAccess(req, form);
        calls.push({
          method,
          ok: reply['ok'] === true,
          ...(typeof reply['error'] === 'string' ? { error: reply['error'] } : {}),
          at: Date.now(),
        });
        return send(res, 200, reply);
      }
      await proxy(method, req, res, body);
    })().catch((error: unknown) => {
      console.error('[fake-slack org] request failed', error);
      if (!res.headersSent) send(res, 500, 'internal error');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    clientId,
    clientSecret,
    workspace: (teamId) => workspace(teamId).slack,
    setEventsUrl(url) {
      for (const { slack } of inner.values()) slack.setEventsUrl(url);
    },
    approve(authorizeUrl, as) {
      const url = new URL(authorizeUrl);
      if (`${url.origin}${url.pathname}` !== `${baseUrl}/oauth/v2/authorize`)
        throw new Error(`fake-slack org: ${authorizeUrl} is not this Slack's authorize URL`);
      const { scope, redirectUri, state } = authorizeParams(url);
      const owner = 'teamId' in as ? as.teamId : as.enterpriseId;
      const members = 'teamId' in as ? [workspace(as.teamId)] : ofEnterprise(as.enterpriseId);
      if (members.length === 0) throw new Error(`fake-slack org: no organisation ${owner}`);
      if (!members.some((w) => w.slack.options.users.some((u) => u.id === as.userId)))
        throw new Error(`fake-slack org: ${as.userId} is not a member of ${owner}`);
      const code = secret(`${owner}.`);
      grants.set(code, {
        teamId: owner,
        userId: as.userId,
        redirectUri,
        scope,
        expiresAt: Date.now() + CODE_TTL_MS,
        used: false,
      });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      if (state) back.searchParams.set('state', state);
      return back.toString();
    },
    async uninstall(teamId, { events = true } = {}) {
      const { slack } = workspace(teamId);
      for (const issued of tokens.values()) if (issued.teamId === teamId) issued.revoked = true;
      for (const refresh of refreshTokens.values())
        if (refresh.teamId === teamId) refresh.used = true;
      if (!events) return;
      const revoked = slack.sendEvent({
        type: 'tokens_revoked',
        tokens: { oauth: [], bot: [slack.options.botUserId] },
      });
      await revoked.delivery;
      await slack.sendEvent({ type: 'app_uninstalled' }).delivery;
    },
    tokensOf: (teamId) =>
      [...tokens.entries()].filter(([, t]) => t.teamId === teamId).map(([token]) => token),
    isRevoked: (token) => tokens.get(token)?.revoked === true,
    get expiresInSeconds() {
      return expiresInSeconds;
    },
    set expiresInSeconds(seconds: number) {
      expiresInSeconds = seconds;
    },
    calls,
    refreshes,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await Promise.all([...inner.values()].map(({ slack }) => slack.close()));
    },
  };
}
