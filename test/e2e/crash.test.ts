import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANN, channel, startStack, type Stack } from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { JOB_ATTEMPTS: '3', JOB_MAX_STALLS: '1' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('crashes and scale', () => {
  it('continues an answer in the same message after the worker is killed mid-stream', async () => {
    const chunks = Array.from({ length: 20 }, (_, i) => `part${i} `);
    const full = chunks.join('');
    stack.chutes.script({ chunks, chunkDelayMs: 400 });
    stack.chutes.script({ chunks, chunkDelayMs: 20 });
    const question = stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'count slowly',
      mentionsBot: true,
    });
    const [partial] = await stack.discord.waitFor(
      () => {
        const mine = stack.botMessages(channel(1));
        return mine[0]?.content.includes('part3') ? mine : undefined;
      },
      10_000,
      'a partly streamed answer',
    );
    await stack.service.kill();
    expect(stack.botMessages(channel(1))[0]!.content).not.toBe(full);

    stack.service = await stack.startService();
    const [done] = await stack.discord.waitFor(
      () => {
        const mine = stack.botMessages(channel(1));
        return mine[0]?.content === full ? mine : undefined;
      },
      20_000,
      'the answer finished by the new worker',
    );
    // The same message, the only one, still replying to the question.
    expect(done!.id).toBe(partial!.id);
    expect(stack.botMessages(channel(1))).toHaveLength(1);
    expect(done!.messageReference?.messageId).toBe(question.id);
    const { rows } = await stack.database.pool.query<{ role: string; content: string }>(
      'SELECT role, content FROM conversation_messages ORDER BY id',
    );
    expect(rows).toEqual([
      { role: 'user', content: 'count slowly' },
      { role: 'assistant', content: full },
    ]);
    expect(stack.discord.rateLimited).toEqual([]);
  });

  it('tells the user when an answer keeps crashing its workers, and keeps the job', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => `step${i} `);
    for (let i = 0; i < 2; i++) stack.chutes.script({ chunks, chunkDelayMs: 300 });
    stack.discord.sendMessage({
      channelId: channel(8),
      author: ANN,
      content: 'crash me',
      mentionsBot: true,
    });
    const streamed = (marker: string) =>
      stack.discord.waitFor(
        () => stack.botMessages(channel(8))[0]?.edits.some((e) => e.content.includes(marker)),
        15_000,
        `streaming past ${marker}`,
      );
    await streamed('step2 ');
    await stack.service.kill();
    const editsBefore = stack.botMessages(channel(8))[0]!.edits.length;
    stack.service = await stack.startService();
    // The retry streams into the same message again, then its worker dies too.
    await stack.discord.waitFor(
      () => stack.botMessages(channel(8))[0]!.edits.length > editsBefore + 1,
      15_000,
      'the retry streaming',
    );
    await stack.service.kill();
    stack.service = await stack.startService();
    const [told] = await stack.discord.waitFor(
      () => {
        const mine = stack.botMessages(channel(8));
        return mine[0]?.content.includes('went wrong') ? mine : undefined;
      },
      15_000,
      'the failure told in the reply',
    );
    expect(told!.content).toContain('Something went wrong');
    expect(stack.botMessages(channel(8))).toHaveLength(1);
    const failed = await stack.chatQueue.getFailed();
    expect(failed.map((j) => j.data.text)).toContain('crash me');
    expect(failed.find((j) => j.data.text === 'crash me')!.failedReason).toMatch(/stalled/);
  });

  it('runs as one gateway and several workers, answering each mention exactly once', async () => {
    await stack.service.stop();
    stack.service = await stack.startService({ ROLE: 'gateway', PORT: '0' });
    await stack.startService({ ROLE: 'worker' });
    await stack.startService({ ROLE: 'worker' });
    const channels = [2, 3, 4, 5, 6, 7].map(channel);
    for (const id of channels) {
      stack.discord.sendMessage({
        channelId: id,
        author: ANN,
        content: `hello ${id}`,
        mentionsBot: true,
      });
    }
    for (const id of channels) {
      await stack.discord.waitFor(
        () => stack.botMessages(id)[0]?.content === `You said: Ann: hello ${id}`,
        15_000,
        `the answer in ${id}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const id of channels) expect(stack.botMessages(id)).toHaveLength(1);
    expect(stack.discord.rateLimited).toEqual([]);
  });
});
