/**
 * Redis or Postgres cut off from the service (a TCP proxy in front of it is
 * cut, then restored), with the service's defaults: the answer that was
 * streaming ends exactly once with the model's text, the mentions that arrive
 * meanwhile are kept and answered once the store is back, nobody is turned
 * away, nothing is answered twice, and /healthz says what is away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRYING_OTHER } from '../../src/core/user-messages.js';
import {
  ANN,
  channel,
  replyShowing,
  startStack,
  type Stack,
  type StackOptions,
} from '../e2e/stack.js';
import { ADMIN_URL } from '../support/pg.js';
import { REDIS_URL } from '../support/redis.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../support/tcp-proxy.js';

const CASES = [
  { topology: 'redis', cut: 'redis', forMs: 15_000, check: 'redis' },
  { topology: 'redis', cut: 'postgres', forMs: 12_000, check: 'postgres' },
  { topology: 'postgres', cut: 'postgres', forMs: 12_000, check: 'queue' },
] as const;
const ASKED = [2, 3, 4, 5, 6, 7];

describe.each(CASES)('$cut away for $forMs ms, queue on $topology', (c) => {
  let stack: Stack;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(targetOf(c.cut === 'redis' ? REDIS_URL : ADMIN_URL));
    const proxies: StackOptions['proxies'] =
      c.cut === 'redis' ? { redis: proxy } : { postgres: proxy };
    stack = await startStack({ topology: c.topology, tuned: false, proxies });
  }, 120_000);
  afterAll(async () => {
    proxy?.restore();
    await stack?.stop();
    await proxy?.close();
  });

  it('finishes the streaming answer once and answers every mention that came meanwhile', async () => {
    // 15 s of answer, once: a retry (the stream aborted) gets the fake's default answer.
    const chunks = Array.from({ length: 30 }, (_, i) => `part${i} `);
    stack.chutes.script({ chunks, chunkDelayMs: 500 });
    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'count slowly',
      mentionsBot: true,
    });
    const reply = await stack.discord.waitFor(
      () => {
        const mine = stack.botMessages(channel(1))[0];
        return mine?.content.includes('part3 ') ? mine : undefined;
      },
      10_000,
      'a partly streamed answer',
    );
    proxy.cut();
    const cutAt = Date.now();
    for (const n of ASKED) {
      stack.discord.sendMessage({
        channelId: channel(n),
        author: ANN,
        content: `question ${n}`,
        mentionsBot: true,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const health = await fetch(`http://127.0.0.1:${stack.service.port}/healthz`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { checks: Record<string, string> };
    expect(body.checks[c.check]).not.toBe('ok');

    await new Promise((resolve) => setTimeout(resolve, cutAt + c.forMs - Date.now()));
    proxy.restore();

    // The first stream's whole text, or a retry's: whichever the conversation stored.
    const done = await stack.discord.waitFor(
      () => {
        const mine = stack.botMessages(channel(1))[0];
        const ended = [chunks.join(''), 'You said: Ann: count slowly'];
        return mine && ended.includes(mine.content) ? mine : undefined;
      },
      60_000,
      'the streaming answer ended',
    );
    expect(done.id).toBe(reply.id);
    for (const n of ASKED) {
      await replyShowing(stack, channel(n), `You said: Ann: question ${n}`, 60_000);
    }
    // Settled: one reply per question, none turned away, the model asked once per new question.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const n of [1, ...ASKED]) {
      const mine = stack.botMessages(channel(n));
      expect(mine, `channel ${n}`).toHaveLength(1);
      expect(mine[0]!.edits.some((e) => e.content.includes('could not take'))).toBe(false);
    }
    const asked = stack.chutes.requests.filter((r) => r.method === 'POST');
    for (const n of ASKED) {
      const mentions = asked.filter((r) => JSON.stringify(r.body).includes(`question ${n}`));
      expect(mentions, `question ${n}`).toHaveLength(1);
    }
    const stored = await stack.database.pool.query<{ content: string }>(
      "SELECT content FROM conversation_messages WHERE role = 'assistant' ORDER BY id",
    );
    expect(stored.rows).toHaveLength(1 + ASKED.length);
    // What the conversation remembers is what the reply shows.
    expect(stored.rows.map((r) => r.content)).toContain(done.content);
    if (c.cut === 'postgres' && c.topology === 'redis') {
      // The questions that could not read their settings said they would try again.
      const retried = ASKED.filter((n) =>
        stack.botMessages(channel(n))[0]!.edits.some((e) => e.content === RETRYING_OTHER),
      );
      expect(retried.length).toBeGreaterThan(0);
    }
    expect(stack.rateLimited()).toEqual([]);
  }, 150_000);
});
