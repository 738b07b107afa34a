/**
 * The record start-up ends with ("chutes-bot is up"), read from the output
 * of the real process: once, with what runs, the Slack request URL, the
 * Discord invite, where the data lives and the operator's URLs, and no
 * secret (tokens, passwords in store URLs).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allOutput, APP_ID, startStack, type Stack } from './stack.js';

const ADMIN_PASSWORD = 'admin-password-never-leaks';
const INVITE = `https://discord.com/oauth2/authorize?client_id=${APP_ID}&scope=bot%20applications.commands&permissions=309237763136`;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

function summaryOf(stack: Stack) {
  const records = stack.service.logs.filter((l) => l.msg === 'chutes-bot is up');
  expect(records).toHaveLength(1);
  return records[0]!;
}

describe('the start-up summary', () => {
  it('embedded Postgres, Discord and Slack over HTTP, the dashboard: every address, no secret', async () => {
    stack = await startStack({
      topology: 'embedded',
      slack: {},
      env: { ADMIN_PASSWORD },
    });
    const summary = summaryOf(stack);
    const port = stack.service.port;
    const base = `http://${hostname()}:${port}`;
    expect(summary).toMatchObject({
      level: 30,
      port,
      role: 'all',
      platforms: 'Discord, Slack (events over HTTP)',
      slackRequestUrl: `${base}/slack/events`,
      discordInvite: INVITE,
      data: `embedded PostgreSQL in ${path.join(stack.dataDir, 'postgres')}`,
      queue: 'PostgreSQL (the same database)',
      dataDir: stack.dataDir,
      dashboard: `${base}/admin/queues`,
      metrics: `${base}/metrics`,
      health: `${base}/healthz`,
    });
    expect(summary.slackRequestUrlHint).toMatch(/public HTTPS address/);
    expect(summary.startSeconds).toBeGreaterThan(0);
    expect(summary.startSeconds).toBeLessThan(120);
    // The addresses it gives are served (here, on loopback).
    const local = (url: unknown) => String(url).replace(hostname(), '127.0.0.1');
    expect((await fetch(local(summary.health))).status).toBe(200);
    expect((await fetch(local(summary.metrics))).status).toBe(200);
    expect((await fetch(local(summary.dashboard))).status).toBe(401);
    // Neither the dashboard's password nor the embedded Postgres' own.
    const { password } = JSON.parse(
      readFileSync(path.join(stack.dataDir, 'embedded-postgres.json'), 'utf8'),
    ) as { password: string };
    const output = allOutput(stack.service);
    expect(output).not.toContain(ADMIN_PASSWORD);
    expect(output).not.toContain(password);
  }, 120_000);

  it('Postgres and Redis of your own: their hosts without user or password', async () => {
    const withPassword = (url: string, secret: string) => {
      const parsed = new URL(url);
      parsed.password = secret;
      return parsed.toString();
    };
    // The base stack gives the service its own database and Redis prefix.
    const base = await startStack({ topology: 'redis', discord: {} });
    const databaseUrl = withPassword(base.env.DATABASE_URL!, 'pg-password-never-leaks');
    const redisUrl = withPassword(base.env.REDIS_URL!, 'redis-password-never-leaks');
    stack = base;
    await base.service.stop();
    // Postgres trusts the machine's connections, and this Redis has no password: both connect.
    base.service = await base.startService({ DATABASE_URL: databaseUrl, REDIS_URL: redisUrl });
    const summary = summaryOf(base);
    const db = new URL(base.env.DATABASE_URL!);
    const redis = new URL(base.env.REDIS_URL!);
    expect(summary).toMatchObject({
      platforms: 'Discord',
      discordInvite: INVITE,
      data: `PostgreSQL at postgres://${db.host}${db.pathname}`,
      queue: `Redis at redis://${redis.host}${redis.pathname}`,
    });
    expect(summary).not.toHaveProperty('slackRequestUrl');
    expect(summary).not.toHaveProperty('dashboard');
    const output = allOutput(base.service);
    for (const secret of ['pg-password-never-leaks', 'redis-password-never-leaks'])
      expect(output).not.toContain(secret);
  }, 120_000);
});
