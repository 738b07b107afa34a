/**
 * The storage topologies as users start them: nothing configured (the
 * service's own Postgres under DATA_DIR), and DATABASE_URL without Redis
 * (queue, order and budget in Postgres) with a gateway and two workers.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANN, BOB, channel, replyShowing, slowAnswer, startStack, type Stack } from './stack.js';

/** Remote ports of the TCP connections a process holds (from /proc). */
async function remotePorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (fields.length > 9 && inodes.has(fields[9]!) && fields[3] === '01')
        ports.push(parseInt(fields[2]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

function chatBodies(stack: Stack) {
  return stack.chutes.requests
    .filter((r) => r.path.endsWith('/chat/completions'))
    .map((r) => r.body as { messages: { role: string; content: string }[] });
}

async function answered(stack: Stack, channelId: string, count: number, timeoutMs = 20_000) {
  return stack.discord.waitFor(
    () => {
      const mine = stack.botMessages(channelId);
      return mine.length >= count && mine.every((m) => m.content.startsWith('You said'))
        ? mine
        : undefined;
    },
    timeoutMs,
    `${count} answers in ${channelId}`,
  );
}

describe('nothing configured but the tokens: an embedded Postgres under DATA_DIR', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ topology: 'embedded' });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers, keeps the conversation across a restart, and never touches the machine’s Postgres or Redis', async () => {
    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'capital of France?',
      mentionsBot: true,
    });
    await answered(stack, channel(1), 1);
    const ports = await remotePorts(stack.service.pid);
    expect(ports.length).toBeGreaterThan(0);
    expect(ports).not.toContain(5432);
    expect(ports).not.toContain(6379);

    // A clean stop takes its Postgres down with it; the data stays.
    expect(await stack.service.stop()).toBe(0);
    const cluster = path.join(stack.dataDir!, 'postgres');
    expect(existsSync(path.join(cluster, 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(cluster, 'postmaster.pid'))).toBe(false);

    stack.service = await stack.startService();
    stack.discord.sendMessage({
      channelId: channel(1),
      author: BOB,
      content: 'and its population?',
      mentionsBot: true,
    });
    await answered(stack, channel(1), 2);
    const last = chatBodies(stack).at(-1)!;
    expect(last.messages.slice(1)).toEqual([
      { role: 'user', content: 'Ann: capital of France?' },
      { role: 'assistant', content: 'You said: Ann: capital of France?' },
      { role: 'user', content: 'Bob: and its population?' },
    ]);
    expect(stack.rateLimited()).toEqual([]);
  });

  it('opens its data again after a crash', async () => {
    await stack.service.kill();
    stack.service = await stack.startService();
    stack.discord.sendMessage({
      channelId: channel(2),
      author: ANN,
      content: 'still there?',
      mentionsBot: true,
    });
    await answered(stack, channel(2), 1);
    // The history from before the crash is still in the conversation of channel 1.
    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'what did I ask first?',
      mentionsBot: true,
    });
    await answered(stack, channel(1), 3);
    expect(chatBodies(stack).at(-1)!.messages[1]).toEqual({
      role: 'user',
      content: 'Ann: capital of France?',
    });
  });
});

describe('DATABASE_URL without Redis: a gateway and two workers on one Postgres', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ topology: 'postgres', env: { ROLE: 'gateway' } });
    await stack.startService({ ROLE: 'worker' });
    await stack.startService({ ROLE: 'worker' });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers a burst across channels exactly once, in order per channel, with no 429', async () => {
    const channels = [1, 2, 3, 4, 5, 6].map(channel);
    const asked = new Map<string, string[]>();
    for (let round = 1; round <= 3; round++) {
      for (const id of channels) {
        const question = stack.discord.sendMessage({
          channelId: id,
          author: ANN,
          content: `question ${round} in ${id}`,
          mentionsBot: true,
        });
        asked.set(id, [...(asked.get(id) ?? []), question.id]);
      }
    }
    for (const id of channels) {
      const replies = await answered(stack, id, 3, 30_000);
      expect(replies.map((r) => r.content)).toEqual(
        [1, 2, 3].map((round) => `You said: Ann: question ${round} in ${id}`),
      );
      expect(replies.map((r) => r.messageReference?.messageId)).toEqual(asked.get(id));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const id of channels) expect(stack.botMessages(id)).toHaveLength(3);
    // Each question saw the answers before it: the third carries both earlier exchanges.
    for (const id of channels) {
      const third = chatBodies(stack).find((b) =>
        b.messages.at(-1)!.content.endsWith(`question 3 in ${id}`),
      )!;
      expect(third.messages.filter((m) => m.role === 'assistant')).toHaveLength(2);
    }
    expect(await stack.chatQueue.getCompletedCount()).toBe(18);
    expect(stack.rateLimited()).toEqual([]);
  });

  it('finishes in the same message an answer whose worker was killed', async () => {
    // Only one worker runs when the question comes, so that one is the worker to kill.
    const [, first, second] = stack.runningServices();
    await second!.stop();
    const { reply: partial, full } = await slowAnswer(stack, channel(7), {
      count: 16,
      chunkDelayMs: 400,
      until: 2,
    });
    await stack.startService({ ROLE: 'worker' });
    await first!.kill();
    const done = await replyShowing(stack, channel(7), full, 30_000);
    expect(done.id).toBe(partial.id);
    expect(stack.botMessages(channel(7))).toHaveLength(1);
    expect(stack.rateLimited()).toEqual([]);
  });
});
