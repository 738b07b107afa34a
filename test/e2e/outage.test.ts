import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, GUILD, startStack, type Stack } from './stack.js';

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

beforeAll(async () => {
  port = await freePort();
  redisServer = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => 100 });
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

describe('when Redis is away', () => {
  it('tells the user at once instead of going silent, and stays up', async () => {
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
    const question = stack.discord.sendMessage({
      channelId: channel(2),
      author: ANN,
      content: 'anyone?',
      mentionsBot: true,
    });
    const [reply] = await stack.discord.waitFor(
      () => {
        const mine = stack.botMessages(channel(2));
        return mine.length > 0 ? mine : undefined;
      },
      10_000,
      'the apology',
    );
    expect(reply!.content).toContain('could not take your question');
    expect(reply!.messageReference?.messageId).toBe(question.id);

    const sent = stack.discord.sendInteraction({
      name: 'settings',
      options: [{ name: 'show', type: 1, options: [] }],
      guildId: GUILD,
      channelId: channel(3),
      user: ANN,
      permissions: '0',
    });
    const answer = await stack.discord.waitFor(
      () => stack.discord.interactionState(sent.id)?.original?.content,
      10_000,
    );
    expect(answer).toContain('could not take this command');

    const health = await fetch(`http://127.0.0.1:${stack.service.port}/healthz`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { checks: Record<string, string> };
    expect(body.checks.postgres).toBe('ok');
    expect(body.checks.redis).not.toBe('ok');
  });
});
