/**
 * A gateway killed while it keeps questions for a queue that is away loses
 * none of them: what it kept is on disk (DATA_DIR/outbox), and the next
 * gateway to start queues it, so every question acknowledged or seen during
 * the outage is answered exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, replyShowing, SLACK, startStack, type Stack } from '../e2e/stack.js';
import { ADMIN_URL } from '../support/pg.js';
import { REDIS_URL } from '../support/redis.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../support/tcp-proxy.js';

const CASES = [
  { topology: 'redis', store: REDIS_URL },
  { topology: 'postgres', store: ADMIN_URL },
] as const;
const ASKED = [2, 3, 4];

describe.each(CASES)('the gateway killed while the $topology queue is away', (c) => {
  let stack: Stack;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(targetOf(c.store));
    stack = await startStack({
      topology: c.topology,
      tuned: false,
      slack: {},
      proxies: c.topology === 'redis' ? { redis: proxy } : { postgres: proxy },
    });
  }, 120_000);
  afterAll(async () => {
    proxy?.restore();
    await stack?.stop();
    await proxy?.close();
  });

  it('leaves what it kept on disk, and the next gateway answers each question once', async () => {
    proxy.cut();
    for (const n of ASKED)
      stack.discord.sendMessage({
        channelId: channel(n),
        author: ANN,
        content: `kept ${n}`,
        mentionsBot: true,
      });
    const slack = stack.slack.sendMention({
      channel: SLACK.channel(1),
      user: SLACK.ann.id,
      text: 'kept on slack',
    });
    expect((await slack.delivery).acknowledged).toBe(true);
    const service = stack.service;
    await stack.discord.waitFor(
      () =>
        service.logs.filter((l) => l.msg === 'job kept until the queue is back').length ===
          ASKED.length + 1 || undefined,
      15_000,
      'every question kept',
    );
    await service.kill();

    proxy.restore();
    stack.service = await stack.startService();
    expect(stack.service.logs.some((l) => l.msg === 'queueing jobs a stopped gateway kept')).toBe(
      true,
    );
    for (const n of ASKED)
      await replyShowing(stack, channel(n), `You said: Ann: kept ${n}`, 60_000);
    await stack.slack.waitFor(
      () =>
        stack.slack
          .botMessages(SLACK.channel(1), slack.ts)
          .find((m) => (m.markdown ?? m.text) === 'You said: Ann: kept on slack'),
      60_000,
      'the Slack answer',
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const n of ASKED) expect(stack.botMessages(channel(n))).toHaveLength(1);
    expect(stack.slack.botMessages(SLACK.channel(1), slack.ts)).toHaveLength(1);
    const asked = stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(asked).toHaveLength(ASKED.length + 1);
    expect(stack.rateLimited()).toEqual([]);
  }, 150_000);
});
