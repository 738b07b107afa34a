/**
 * Processes started while a store cannot be reached (a TCP proxy in front of
 * it is cut): they stay up, say once what they wait for, answer /healthz with
 * 503 naming it, and once the store is back they finish starting and answer
 * what was asked meanwhile. A configuration mistake is not waited out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, replyShowing, startStack, type Stack } from '../e2e/stack.js';
import { runUntilExit, type ServiceProcess } from '../e2e/service-process.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/pg.js';
import { REDIS_URL } from '../support/redis.js';
import { startTcpProxy, targetOf, viaProxy, type TcpProxy } from '../support/tcp-proxy.js';

const CASES = [
  { topology: 'redis', store: 'redis', variable: 'REDIS_URL' },
  { topology: 'postgres', store: 'postgres', variable: 'DATABASE_URL' },
] as const;

interface Health {
  ok: boolean;
  status: string;
  waiting?: string[];
  checks: Record<string, string>;
}

async function health(service: ServiceProcess): Promise<{ status: number; body: Health }> {
  const response = await fetch(`http://127.0.0.1:${service.port}/healthz`);
  return { status: response.status, body: (await response.json()) as Health };
}

describe.each(CASES)('a gateway and a worker started while $store is cut off', (c) => {
  let stack: Stack;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(targetOf(c.store === 'redis' ? REDIS_URL : ADMIN_URL));
    // A gateway that reaches the stores takes the question asked meanwhile.
    stack = await startStack({ topology: c.topology, env: { ROLE: 'gateway' } });
  }, 120_000);
  afterAll(async () => {
    proxy?.restore();
    await stack?.stop();
    await proxy?.close();
  });

  it('stay up, say what they wait for, and answer once it is back', async () => {
    proxy.cut();
    const cutOff = { [c.variable]: viaProxy(stack.env[c.variable]!, proxy) };
    const gateway = await stack.spawnService({ ...cutOff, ROLE: 'gateway' });
    const worker = await stack.spawnService({ ...cutOff, ROLE: 'worker' });
    const waiting = [gateway, worker];
    for (const p of waiting) await p.waitForLog((l) => l.msg === `waiting for ${c.store}`);

    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'asked while the worker waits',
      mentionsBot: true,
    });
    // Several tries later (0.5 s doubling): still there, still saying it once.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    for (const [i, p] of waiting.entries()) {
      expect(p.running, `process ${i}`).toBe(true);
      expect(p.logs.filter((l) => l.msg === `waiting for ${c.store}`)).toHaveLength(1);
      expect(p.logs.some((l) => l.msg === 'chutes-bot is up')).toBe(false);
      const { status, body } = await health(p);
      expect(status).toBe(503);
      expect(body).toMatchObject({ ok: false, status: 'starting', waiting: [c.store] });
      expect(body.checks[c.store]).toBeTruthy();
    }

    proxy.restore();
    for (const p of waiting) {
      await p.waitForLog((l) => l.msg === 'chutes-bot is up', 30_000);
      expect(p.logs.some((l) => l.msg === `${c.store} reached`)).toBe(true);
      const { status, body } = await health(p);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ ok: true, status: 'up' });
    }
    // The worker that waited answers what was asked meanwhile, and what is asked now.
    await replyShowing(stack, channel(1), 'You said: Ann: asked while the worker waits', 30_000);
    stack.discord.sendMessage({
      channelId: channel(2),
      author: ANN,
      content: 'asked right after',
      mentionsBot: true,
    });
    await replyShowing(stack, channel(2), 'You said: Ann: asked right after', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const n of [1, 2]) expect(stack.botMessages(channel(n))).toHaveLength(1);
    for (const p of waiting) {
      expect(p.output.join('\n')).not.toContain('Unhandled error event');
      expect(p.errors()).toEqual([]);
    }
  }, 120_000);
});

describe('a configuration mistake at start-up', () => {
  const base = {
    CHUTES_API_KEY: 'cpk_start_up_test',
    DISCORD_TOKEN: 'discord.start.up.test',
    DISCORD_APPLICATION_ID: '1234',
    PORT: '0',
    ROLE: 'worker',
  };
  const missingDatabase = new URL(ADMIN_URL);
  missingDatabase.pathname = '/chutesbot_no_such_database';
  const wrongPassword = new URL(REDIS_URL);
  wrongPassword.username = 'nobody';
  wrongPassword.password = 'wrong';
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await database?.drop();
  });

  it.each<{ what: string; env: Record<string, string> }>([
    { what: 'a database that does not exist', env: { DATABASE_URL: missingDatabase.toString() } },
    {
      what: 'Redis credentials it refuses',
      env: { REDIS_URL: wrongPassword.toString() },
    },
  ])(
    'stops start-up at once: $what',
    async ({ env }) => {
      const startedAt = Date.now();
      const { code, output } = await runUntilExit(
        { ...base, DATABASE_URL: database.url, ...env },
        20_000,
      );
      expect(code, output).toBe(1);
      expect(Date.now() - startedAt).toBeLessThan(15_000);
      expect(output).toContain('chutes-bot failed to start');
      expect(output).not.toContain('"msg":"waiting for');
    },
    30_000,
  );
});
