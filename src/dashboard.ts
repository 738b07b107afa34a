/**
 * The operators' queue dashboard on `/admin/queues`: Bull Board over the
 * service's BullMQ queues (Redis or BullMQ's PostgreSQL backend alike), behind
 * ADMIN_PASSWORD. Operators see waiting, active and failed jobs with their
 * reasons and can retry a failed job.
 *
 * A browser gets a password form; a correct password sets a signed session
 * cookie (HttpOnly, SameSite=Strict, 12 hours) that every process with the
 * same password accepts. Scripts may send the password with HTTP Basic
 * authentication instead (any user name).
 *
 * @see https://github.com/felixmosh/bull-board
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Request, type RequestHandler } from 'express';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestListener } from 'node:http';
import type { JobQueue } from './queue/backend.js';

export const DASHBOARD_PATH = '/admin/queues';
const LOGIN_PATH = `${DASHBOARD_PATH}/login`;
const COOKIE = 'chutes_bot_admin';
const SESSION_MS = 12 * 3600 * 1000;

type BoardQueue = ConstructorParameters<typeof BullMQAdapter>[0];

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
/** Compares digests, so neither the password nor its length leaks through timing. */
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

function sign(password: string, expiresAt: number): string {
  return createHmac('sha256', `chutes-bot dashboard:${password}`)
    .update(String(expiresAt))
    .digest('base64url');
}

function session(password: string, now: number): string {
  const expiresAt = now + SESSION_MS;
  return `${expiresAt}.${sign(password, expiresAt)}`;
}

function cookieOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

function validSession(password: string, token: string | undefined, now: number): boolean {
  const [expires = '', signature = ''] = (token ?? '').split('.');
  const expiresAt = Number(expires);
  return (
    Number.isFinite(expiresAt) && expiresAt > now && same(signature, sign(password, expiresAt))
  );
}

function basicPassword(req: Request): string | undefined {
  const [scheme, encoded = ''] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

function loginPage(failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chutes-bot queues</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 22rem; margin: 4rem auto">
<h1 style="font-size: 1.3rem">chutes-bot queues</h1>
<form method="post" action="${LOGIN_PATH}">
<label for="password">Admin password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
${failed ? '<p role="alert">Wrong password.</p>' : ''}
</body></html>`;
}

/**
 * Lets through a request with a valid session cookie or the password (HTTP
 * Basic); answers others with the password form (the API with a plain 401).
 */
export function requirePassword(password: string, now: () => number = Date.now): RequestHandler {
  return (req, res, next) => {
    const basic = basicPassword(req);
    if (
      validSession(password, cookieOf(req), now()) ||
      (basic !== undefined && same(basic, password))
    ) {
      next();
      return;
    }
    res.status(401).set('cache-control', 'no-store');
    if (req.path.startsWith('/api/')) res.json({ error: 'password required' });
    else res.type('html').send(loginPage(false));
  };
}

function login(password: string, now: () => number): RequestHandler {
  return (req, res) => {
    const given: unknown = (req.body as Record<string, unknown> | undefined)?.password;
    if (typeof given !== 'string' || !same(given, password)) {
      res.status(401).set('cache-control', 'no-store').type('html').send(loginPage(true));
      return;
    }
    res.cookie(COOKIE, session(password, now()), {
      httpOnly: true,
      sameSite: 'strict',
      path: DASHBOARD_PATH,
      maxAge: SESSION_MS,
    });
    res.redirect(303, DASHBOARD_PATH);
  };
}

/** The dashboard as a request listener for everything under DASHBOARD_PATH. */
export function createDashboard(
  queues: readonly JobQueue[],
  password: string,
  now: () => number = Date.now,
): RequestListener {
  const serverAdapter = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    // Its types name BullMQ's Redis backend; its code reads any backend (getBackend()).
    queues: queues.map((queue) => new BullMQAdapter(queue as BoardQueue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'chutes-bot' } },
  });
  const app = express();
  app.disable('x-powered-by');
  app.post(LOGIN_PATH, express.urlencoded({ extended: false, limit: '2kb' }), login(password, now));
  app.use(DASHBOARD_PATH, requirePassword(password, now), serverAdapter.getRouter());
  return app;
}
