import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/dashboard.js';
import type { JobQueue } from '../../src/queue/backend.js';

const PASSWORD = 'correct horse battery staple';
let now = Date.UTC(2026, 2, 10, 12);
let server: Server;
let base: string;

beforeAll(async () => {
  // No queues: these tests are about who gets in, not what the board shows.
  server = createServer(createDashboard([] as JobQueue[], PASSWORD, () => now));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/admin/queues`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const basic = (password: string) => ({
  authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`,
});

async function signIn(password: string) {
  return fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password }),
    redirect: 'manual',
  });
}

describe('the dashboard password', () => {
  it('answers a stranger with the password form, and the API with a bare 401', async () => {
    const page = await fetch(base);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('type="password"');
    const api = await fetch(`${base}/api/queues`);
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: 'password required' });
  });

  it('takes the password over HTTP Basic (any user name), not a wrong one', async () => {
    expect((await fetch(`${base}/api/queues`, { headers: basic(PASSWORD) })).status).toBe(200);
    expect((await fetch(`${base}/api/queues`, { headers: basic('wrong') })).status).toBe(401);
  });

  it('gives a signed, HttpOnly session cookie for the right password, valid for 12 hours', async () => {
    expect((await signIn('wrong')).status).toBe(401);
    const ok = await signIn(PASSWORD);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/admin/queues');
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toContain(PASSWORD);
    const cookie = setCookie.split(';')[0]!;
    expect((await fetch(`${base}/api/queues`, { headers: { cookie } })).status).toBe(200);
    // Tampered: another expiry under the same signature.
    const [name, value] = cookie.split('=');
    const [, signature] = value!.split('.');
    const tampered = `${name}=${now + 48 * 3600_000}.${signature}`;
    expect((await fetch(`${base}/api/queues`, { headers: { cookie: tampered } })).status).toBe(401);
    now += 12 * 3600_000 + 1;
    expect((await fetch(`${base}/api/queues`, { headers: { cookie } })).status).toBe(401);
  });
});
