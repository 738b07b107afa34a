/**
 * Ctrl-C in the terminal that runs the service with its embedded Postgres:
 * the terminal sends SIGINT to its whole foreground process group, the
 * service and every child it did not move out of it. It must stop as on
 * SIGTERM: answers in flight finish within the grace, Postgres stops last
 * and cleanly, and nothing is logged as an error. A second Ctrl-C exits at once.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from './service-process.js';
import {
  ANN,
  BOT,
  channel,
  countedWords,
  replyShowing,
  startStack,
  words,
  type Stack,
} from './stack.js';

/** What a Postgres stopped under the service's feet shows in its log. */
const POSTGRES_GONE = /terminating connection due to administrator command|ECONNREFUSED/;

describe('Ctrl-C (SIGINT to the process group) with the embedded Postgres', () => {
  let stack: Stack;
  const postmasterPid = () => path.join(stack.dataDir, 'postgres', 'postmaster.pid');

  beforeAll(async () => {
    stack = await startStack({
      topology: 'embedded',
      chutes: {
        // Every try of a question streams slowly (a retry, too).
        defaultChat: countedWords,
      },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  /** Asks for a slow answer and waits until its reply shows word `until`; returns the full text. */
  async function slowAnswer(channelId: string, count: number, every: number, until: number) {
    stack.discord.sendMessage({
      channelId,
      author: ANN,
      content: `count ${count} every ${every}`,
      mentionsBot: true,
    });
    await stack.discord.waitFor(
      () =>
        stack.discord
          .messages(channelId)
          .find((m) => m.author.id === BOT.id && m.content.includes(`word${until} `)),
      30_000,
      'a partly streamed answer',
    );
    return words(count).join('');
  }

  /** Postgres stopped cleanly, after everything else, and nothing went wrong on the way. */
  function expectCleanStop(service: ServiceProcess) {
    expect(service.errors()).toEqual([]);
    // Nothing of the service lost its database (postgres' own lines, msg
    // `postgres`, may name a connection it ended as it stopped).
    const lost = service.logs.filter(
      (l) => l.msg !== 'postgres' && POSTGRES_GONE.test(JSON.stringify(l)),
    );
    expect(lost).toEqual([]);
    expect(existsSync(postmasterPid())).toBe(false);
    expect(service.logs.at(-1)?.msg).toBe('embedded PostgreSQL stopped');
  }

  it('an idle SIGTERM stops Postgres last and logs no errors', async () => {
    expect(await stack.service.stop()).toBe(0);
    expectCleanStop(stack.service);
  }, 60_000);

  it('an idle Ctrl-C does the same', async () => {
    const service = await stack.startService({}, { detached: true });
    service.signalGroup('SIGINT');
    expect(await service.whenExited()).toBe(0);
    expectCleanStop(service);
  }, 90_000);

  it('lets an answer in flight finish within the grace, then stops Postgres', async () => {
    const service = await stack.startService({ SHUTDOWN_GRACE_MS: '15000' }, { detached: true });
    const full = await slowAnswer(channel(1), 26, 150, 2);
    const interruptedAt = Date.now();
    service.signalGroup('SIGINT');
    expect(await service.whenExited()).toBe(0);
    // Finished by this process before it exited, not at the next start.
    expect(stack.botMessages(channel(1))[0]!.content).toBe(full);
    expect(service.exitedAt! - interruptedAt).toBeLessThan(15_000);
    expectCleanStop(service);
  }, 90_000);

  it('a second Ctrl-C exits at once, and Postgres still stops', async () => {
    const service = await stack.startService({ SHUTDOWN_GRACE_MS: '30000' }, { detached: true });
    const full = await slowAnswer(channel(2), 30, 300, 2);
    service.signalGroup('SIGINT');
    await sleep(500);
    const secondAt = Date.now();
    service.signalGroup('SIGINT');
    expect(await service.whenExited()).toBe(130);
    expect(service.exitedAt! - secondAt).toBeLessThan(2_000);
    expect(stack.botMessages(channel(2))[0]!.content).not.toBe(full);
    // Postgres, in a group of its own, is told to stop as the process exits.
    for (const deadline = Date.now() + 10_000; existsSync(postmasterPid());) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(100);
    }
    // The next start picks the answer up where it stopped.
    stack.service = await stack.startService();
    await replyShowing(stack, channel(2), full, 30_000);
  }, 120_000);
});
