/**
 * One writer per reply: a worker cut off from Redis (its lock cannot be
 * renewed) stops writing and aborts its model call before another worker
 * takes the job over; the reply ends with the answer that was stored.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationMessages } from '../../src/db/schema.js';
import { ANN, channel, replyShowing, startStack, type Stack } from '../e2e/stack.js';
import { REDIS_URL } from '../support/redis.js';
import { startTcpProxy, viaProxy, type TcpProxy } from '../support/tcp-proxy.js';

describe('a worker that loses its job lock', () => {
  let stack: Stack;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(REDIS_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    stack = await startStack({ tuned: false, env: { ROLE: 'gateway' } });
  }, 120_000);
  afterAll(async () => {
    proxy?.restore();
    await stack?.stop();
    await proxy?.close();
  });

  it('stops writing and aborts its stream before another worker continues the reply', async () => {
    const cutOff = await stack.startService({
      ROLE: 'worker',
      REDIS_URL: viaProxy(REDIS_URL, proxy),
    });
    const slow = Array.from({ length: 40 }, (_, i) => `a${i} `);
    const fast = Array.from({ length: 40 }, (_, i) => `b${i} `);
    stack.chutes.script({ chunks: slow, chunkDelayMs: 500 });
    stack.chutes.script({ chunks: fast, chunkDelayMs: 20 });
    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'count slowly',
      mentionsBot: true,
    });
    await stack.discord.waitFor(
      () => stack.botMessages(channel(1))[0]?.content.includes('a4 '),
      20_000,
      'a partly streamed answer',
    );
    await stack.startService({ ROLE: 'worker' });
    proxy.cut();

    const full = fast.join('');
    const done = await replyShowing(stack, channel(1), full, 40_000);
    const edits = done.edits;
    const firstTakeover = edits.findIndex((e) => e.content.includes('b0 '));
    expect(firstTakeover).toBeGreaterThan(0);
    // Nothing from the cut-off worker once the other one writes.
    expect(edits.slice(firstTakeover).filter((e) => e.content.includes('a0 '))).toEqual([]);
    const [abandoned, continued] = stack.chutes.requests.filter((r) => r.method === 'POST');
    expect(abandoned!.disconnectedAt).toBeDefined();
    expect(abandoned!.disconnectedAt!).toBeLessThan(continued!.at);
    expect(cutOff.logs.some((l) => l.msg === 'stopping a job whose lock may be lost')).toBe(true);

    // Redis comes back: the cut-off worker changes nothing any more.
    proxy.restore();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(stack.botMessages(channel(1))).toHaveLength(1);
    expect(stack.botMessages(channel(1))[0]!.content).toBe(full);
    const stored = await stack.database.db
      .select({ content: conversationMessages.content })
      .from(conversationMessages)
      .where(eq(conversationMessages.role, 'assistant'));
    expect(stored.map((r) => r.content)).toEqual([full]);
    expect(stack.rateLimited()).toEqual([]);
  }, 90_000);
});
