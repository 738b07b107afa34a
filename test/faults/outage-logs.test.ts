/**
 * A 10 s cut of the queue's store (Redis, or Postgres where the queue lives
 * there) under running answers, with the service's defaults: each process
 * says so once when the outage starts and once when it ends, instead of a
 * line per failed command, and the answers still finish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, startStack, type Stack } from '../e2e/stack.js';
import type { LogLine, ServiceProcess } from '../e2e/service-process.js';
import { ADMIN_URL } from '../support/pg.js';
import { REDIS_URL } from '../support/redis.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const CUT_MS = 10_000;
/** Warnings and errors a process may write for one outage (its start, stopped jobs, its end). */
const MOST_LINES = 5;
const ANSWERS = [1, 2, 3];
const CASES = [
  { store: 'redis', topology: 'redis', url: REDIS_URL, port: 6379 },
  { store: 'postgres', topology: 'postgres', url: ADMIN_URL, port: 5432 },
] as const;

describe.each(CASES)('a 10 s $store cut under running answers', (c) => {
  let stack: Stack;
  let proxy: TcpProxy;
  let worker: ServiceProcess;
  beforeAll(async () => {
    const target = new URL(c.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || c.port) });
    stack = await startStack({
      tuned: false,
      topology: c.topology,
      proxies: { [c.store]: proxy },
      env: { ROLE: 'gateway' },
    });
    worker = await stack.startService({ ROLE: 'worker' });
  }, 120_000);
  afterAll(async () => {
    proxy?.restore();
    await stack?.stop();
    await proxy?.close();
  });

  it('logs the outage once per process, not once per failed command, and finishes the answers', async () => {
    const chunks = Array.from({ length: 30 }, (_, i) => `part${i} `);
    for (const _ of ANSWERS) stack.chutes.script({ chunks, chunkDelayMs: 300 });
    for (const n of ANSWERS) {
      stack.discord.sendMessage({
        channelId: channel(n),
        author: ANN,
        content: `count slowly ${n}`,
        mentionsBot: true,
      });
    }
    await stack.discord.waitFor(
      () =>
        ANSWERS.every((n) => stack.botMessages(channel(n))[0]?.content.includes('part2 ')) || null,
      20_000,
      'the answers streaming',
    );

    const processes = [stack.service, worker];
    const before = processes.map((p) => p.logs.length);
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, CUT_MS));
    proxy.restore();

    // Every answer ends: the first stream's text, or a retry's (the fake's default answer).
    await stack.discord.waitFor(
      () =>
        ANSWERS.every((n) => {
          const content = stack.botMessages(channel(n))[0]?.content;
          return content === chunks.join('') || content === `You said: Ann: count slowly ${n}`;
        }) || null,
      60_000,
      'every answer ended',
    );
    // Settled: what the processes log once the queue is back counts too.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const during = processes.map((p, i) => p.logs.slice(before[i]));
    // Counted for every process first: the test shows each one's lines when it fails.
    const loud = during.map((lines) => lines.filter((l) => l.level >= 40));
    for (const [i, lines] of loud.entries()) {
      const listed = `process ${i}:\n${lines.map(describeLine).join('\n')}`;
      expect.soft(lines.length, listed).toBeLessThanOrEqual(MOST_LINES);
    }
    for (const [i, lines] of during.entries()) {
      // One line when it starts, one when it is over (with how long it lasted).
      expect(lines.filter((l) => l.msg === `${c.store} unreachable`)).toHaveLength(1);
      const back = lines.filter((l) => l.msg === `${c.store} reachable again`);
      expect(back, `process ${i}`).toHaveLength(1);
      expect(back[0]!.outageMs).toBeGreaterThanOrEqual(CUT_MS - 1_000);
      expect(processes[i]!.output.join('\n')).not.toContain('Unhandled error event');
    }
    for (const n of ANSWERS) expect(stack.botMessages(channel(n))).toHaveLength(1);
  }, 150_000);
});

function describeLine(l: LogLine): string {
  const err = l.err as { message?: string } | undefined;
  return `${l.level} ${l.msg}${err?.message ? `: ${err.message}` : ''}`;
}
