import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, GUILD, replyShowing, startStack, type Stack } from '../e2e/stack.js';

/** A Redis of this test's own, so the test can take it away. */
let redisServer: ChildProcess | undefined;
let port = 0;
let stack: Stack;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      server.close(() => resolve(p));
    });
  });
}

function startRedis(): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
}

beforeAll(async () => {
  port = await freePort();
  redisServer = startRedis();
  const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => 100 });
  probe.on('error', () => undefined);
  for (let i = 0; i < 50; i++) {
    if (
      await probe.connect().then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  probe.disconnect();
  stack = await startStack({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
});
afterAll(async () => {
  await stack?.stop().catch(() => undefined);
  redisServer?.kill('SIGKILL');
});

/**
 * Redis restarted (its data lost, no persistence): what the gateway accepts
 * while it is down is kept, nobody is turned away, and it is all answered
 * once Redis is back.
 */
describe('when Redis restarts', () => {
  it('keeps the questions and commands that arrive meanwhile and answers them after', async () => {
    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'before',
      mentionsBot: true,
    });
    await stack.discord.waitFor(
      () => stack.botMessages(channel(1))[0]?.content === 'You said: Ann: before',
      10_000,
    );

    redisServer!.kill('SIGKILL');
    await new Promise((resolve) => redisServer!.once('exit', resolve));
    stack.discord.sendMessage({
      channelId: channel(2),
      author: ANN,
      content: 'anyone?',
      mentionsBot: true,
    });
    const sent = stack.discord.sendInteraction({
      name: 'settings',
      options: [{ name: 'show', type: 1, options: [] }],
      guildId: GUILD,
      channelId: channel(3),
      user: ANN,
      permissions: '0',
    });
    await stack.discord.waitFor(
      () =>
        stack.service.logs.filter((l) => l.msg === 'job kept until the queue is back').length >= 2,
      10_000,
      'both jobs kept',
    );
    const health = await fetch(`http://127.0.0.1:${stack.service.port}/healthz`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { checks: Record<string, string> };
    expect(body.checks.postgres).toBe('ok');
    expect(body.checks.redis).not.toBe('ok');
    expect(body.checks.outbox).toBe('2 jobs kept until the queue is reachable');
    expect(stack.botMessages(channel(2))).toEqual([]);

    redisServer = startRedis();
    await replyShowing(stack, channel(2), 'You said: Ann: anyone?', 30_000);
    const shown = await stack.discord.waitFor(
      () => {
        const content = stack.discord.interactionState(sent.id)?.original?.content;
        return content?.includes('model') ? content : undefined;
      },
      30_000,
      'the kept command answered',
    );
    expect(shown).not.toContain('could not take');
    expect(shown).toContain('model');
    const after = (await (
      await fetch(`http://127.0.0.1:${stack.service.port}/healthz`)
    ).json()) as { checks: Record<string, string> };
    expect(after.checks).toMatchObject({ redis: 'ok', outbox: 'ok' });
  });
});
