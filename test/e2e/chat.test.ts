import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ANN,
  BOT,
  channel,
  CHUTES_KEY,
  DISCORD_TOKEN,
  GUILD,
  startStack,
  THREAD,
  type Stack,
} from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  const service = stack?.service;
  await stack?.stop();
  if (service) {
    // Secrets never reach the logs.
    const output = service.output.join('\n');
    expect(output).not.toContain(CHUTES_KEY);
    expect(output).not.toContain(DISCORD_TOKEN);
  }
});
afterEach(() => {
  // The service stays inside Discord's limits: not a single 429, ever.
  expect(stack.discord.rateLimited).toEqual([]);
});

function chatRequests() {
  return stack.chutes.requests.filter((r) => r.path.endsWith('/chat/completions'));
}

type ChatBody = {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
};

async function finalReply(
  channelId: string,
  predicate: (text: string) => boolean,
  timeoutMs = 15_000,
) {
  return stack.discord.waitFor(
    () => {
      const mine = stack.botMessages(channelId);
      return mine.length > 0 && predicate(mine.map((m) => m.content).join('')) ? mine : undefined;
    },
    timeoutMs,
    `a bot reply in ${channelId}`,
  );
}

describe('chat over Discord, end to end', () => {
  it('answers a mention with a reply that streams and ends as exactly the model text', async () => {
    const chunks = [
      'A monad ',
      'is a monoid ',
      'in the category ',
      'of endofunctors, ',
      'roughly.',
    ];
    stack.chutes.script({ chunks, chunkDelayMs: 700 });
    const question = stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'what is a monad?',
      mentionsBot: true,
    });
    const [reply] = await finalReply(channel(1), (t) => t === chunks.join(''));
    expect(stack.botMessages(channel(1))).toHaveLength(1);
    expect(reply!.messageReference?.messageId).toBe(question.id);
    // Something showed up at once, well before the answer was done.
    expect(reply!.createdAt - question.createdAt).toBeLessThan(1_500);
    // It filled in as the model wrote: intermediate texts were prefixes of the answer.
    const streamed = reply!.edits.map((e) => e.content).filter((c) => c !== chunks.join(''));
    expect(streamed.length).toBeGreaterThanOrEqual(2);
    for (const text of streamed) expect(chunks.join('').startsWith(text)).toBe(true);

    const [request] = chatRequests();
    expect(request!.valid).toBe(true);
    const body = request!.body as ChatBody;
    expect(body.model).toBe('model-a');
    expect(body.messages.at(-1)).toEqual({ role: 'user', content: 'Ann: what is a monad?' });
    expect(body.messages[0]!.role).toBe('system');
    expect(request!.headers.authorization).toBe(`Bearer ${CHUTES_KEY}`);

    // One usage row for the answer, with the stream's token counts.
    const usage = await stack.discord.waitFor(async () => {
      const { rows } = await stack.database.pool.query(
        'SELECT kind, model, outcome, prompt_tokens, completion_tokens, time_to_first_token_ms, duration_ms, tenant_id, user_id FROM usage',
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({
      kind: 'chat',
      model: 'model-a',
      outcome: 'ok',
      tenant_id: GUILD,
      user_id: ANN.id,
    });
    expect(usage[0].prompt_tokens).toBeGreaterThan(0);
    expect(usage[0].completion_tokens).toBeGreaterThan(0);
    expect(usage[0].time_to_first_token_ms).toBeLessThanOrEqual(usage[0].duration_ms);

    // One answer can be followed in the logs, gateway to final edit, by its job id.
    const queued = stack.service.logs.find((l) => l.msg === 'Discord mention queued');
    const jobId = queued?.jobId;
    expect(queued).toMatchObject({ platform: 'discord', tenantId: GUILD });
    const answered = stack.service.logs.find((l) => l.msg === 'answered' && l.jobId === jobId);
    expect(answered).toMatchObject({ platform: 'discord', tenantId: GUILD });
  });

  it('reports health on GET /healthz', async () => {
    const response = await fetch(`http://127.0.0.1:${stack.service.port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ok: true,
      role: 'all',
      checks: { postgres: 'ok', redis: 'ok' },
    });
  });

  it('sends the conversation so far with the next mention, in order, even when one person asks twice at once', async () => {
    stack.chutes.script({ chunks: ['Paris.'], chunkDelayMs: 300 });
    stack.chutes.script({ chunks: ['About 2.1 million.'] });
    const before = chatRequests().length;
    stack.discord.sendMessage({
      channelId: channel(2),
      author: ANN,
      content: 'capital of France?',
      mentionsBot: true,
    });
    stack.discord.sendMessage({
      channelId: channel(2),
      author: ANN,
      content: 'and its population?',
      mentionsBot: true,
    });
    await finalReply(channel(2), (t) => t.includes('2.1 million'));
    const second = chatRequests()[before + 1]!.body as ChatBody;
    expect(second.messages.slice(1)).toEqual([
      { role: 'user', content: 'Ann: capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'Ann: and its population?' },
    ]);
  });

  it("marks a question that waits for its author's earlier answer with ⏳ at once, and takes it away when its turn comes", async () => {
    stack.chutes.script({ chunks: ['First ', 'answer, ', 'slowly.'], chunkDelayMs: 1_000 });
    stack.chutes.script({ chunks: ['Second answer.'] });
    const first = stack.discord.sendMessage({
      channelId: channel(5),
      author: ANN,
      content: 'slow one',
      mentionsBot: true,
    });
    const second = stack.discord.sendMessage({
      channelId: channel(5),
      author: ANN,
      content: 'quick one',
      mentionsBot: true,
    });
    const mark = await stack.discord.waitFor(
      () => stack.discord.message(second.id)?.reactions.find((r) => r.userId === BOT.id),
      5_000,
      'the waiting mark',
    );
    expect(mark.emoji).toBe('⏳');
    // Seen while the first answer was still being written.
    expect(mark.addedAt - second.createdAt).toBeLessThan(1_500);
    const [firstReply] = await finalReply(channel(5), (t) => t.includes('slowly.'));
    expect(firstReply!.messageReference?.messageId).toBe(first.id);
    expect(mark.addedAt).toBeLessThan(firstReply!.editedAt ?? Number.POSITIVE_INFINITY);
    await finalReply(channel(5), (t) => t.includes('Second answer.'));
    await stack.discord.waitFor(
      () => stack.discord.message(second.id)?.reactions.every((r) => r.removedAt !== undefined),
      5_000,
      'the mark taken away',
    );
    // The question that did not wait was never marked.
    expect(stack.discord.message(first.id)?.reactions).toEqual([]);
  });

  it('keeps a thread as a conversation of its own', async () => {
    stack.discord.sendMessage({
      channelId: channel(1),
      author: ANN,
      content: 'remember 42',
      mentionsBot: true,
    });
    await finalReply(channel(1), (t) => t.includes('remember 42'));
    const before = chatRequests().length;
    stack.discord.sendMessage({
      channelId: THREAD,
      author: ANN,
      content: 'what number?',
      mentionsBot: true,
    });
    await finalReply(THREAD, (t) => t.includes('what number?'));
    const body = chatRequests()[before]!.body as ChatBody;
    expect(body.messages.map((m) => m.content).join('\n')).not.toContain('remember 42');
    expect(body.messages).toHaveLength(2);
  });

  it('answers DMs without a mention', async () => {
    const dm = stack.discord.openDm(ANN);
    stack.discord.sendMessage({ channelId: dm, author: ANN, content: 'hello in private' });
    const [reply] = await finalReply(dm, (t) => t.includes('hello in private'));
    expect(reply!.content).toBe('You said: Ann: hello in private');
  });

  it('ignores messages that do not mention the bot, and its own messages', async () => {
    const before = chatRequests().length;
    stack.discord.sendMessage({ channelId: channel(3), author: ANN, content: 'just chatting' });
    stack.discord.sendMessage({
      channelId: channel(3),
      author: ANN,
      content: 'hi bot',
      mentionsBot: true,
    });
    await finalReply(channel(3), (t) => t.includes('hi bot'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(chatRequests().length).toBe(before + 1);
  });

  it('continues a long answer in follow-up messages without breaking code blocks', async () => {
    const code = Array.from(
      { length: 120 },
      (_, i) => `    print("line ${i} of a long program")`,
    ).join('\n');
    const answer = `Here is the program:\n\n\`\`\`python\ndef main():\n${code}\n\`\`\`\n\nThat is all. ${'Done. '.repeat(50)}`;
    const chunks = answer.match(/[\s\S]{1,80}/g)!;
    stack.chutes.script({ chunks, chunkDelayMs: 5 });
    stack.discord.sendMessage({
      channelId: channel(4),
      author: ANN,
      content: 'write a long program',
      mentionsBot: true,
    });
    const pages = await finalReply(
      channel(4),
      (t) => t.includes('That is all.') && t.trimEnd().endsWith('Done.'),
      30_000,
    );
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) {
      expect(page.content.length).toBeLessThanOrEqual(2000);
      const fences = page.content.split('\n').filter((l) => l.startsWith('```')).length;
      expect(fences % 2).toBe(0);
    }
    expect(pages[0]!.messageReference).toBeDefined();
    const lines = pages.map((p) => p.content).join('\n');
    for (let i = 0; i < 120; i++) expect(lines).toContain(`line ${i} of a long program`);
    expect(pages[1]!.content.startsWith('```python\n')).toBe(true);
  });

  it('tells the user clearly when Chutes rejects the key, does not know the model, or is overloaded', async () => {
    stack.chutes.script({ error: { status: 401, body: { detail: 'Invalid token.' } } });
    stack.discord.sendMessage({
      channelId: channel(5),
      author: ANN,
      content: 'q1',
      mentionsBot: true,
    });
    const [unauthorized] = await finalReply(channel(5), (t) => t.includes('API key'));
    expect(unauthorized!.content).not.toContain(CHUTES_KEY);

    stack.chutes.script({ error: { status: 404, body: { detail: 'model not found' } } });
    stack.discord.sendMessage({
      channelId: channel(6),
      author: ANN,
      content: 'q2',
      mentionsBot: true,
    });
    const [missing] = await finalReply(channel(6), (t) => t.includes('not available'));
    expect(missing!.content).toContain('model-a');

    // Overloaded twice: retried once (JOB_ATTEMPTS=2), then told.
    stack.chutes.script({ error: { status: 429, body: { detail: 'No instances available.' } } });
    stack.chutes.script({ error: { status: 429, body: { detail: 'No instances available.' } } });
    stack.discord.sendMessage({
      channelId: channel(7),
      author: ANN,
      content: 'q3',
      mentionsBot: true,
    });
    const [overloaded] = await finalReply(channel(7), (t) => t.includes('overloaded'), 20_000);
    expect(overloaded!.edits.some((e) => e.content.includes('busy'))).toBe(true);

    // Nothing is lost: the jobs wait in the failed set with their reasons.
    await stack.discord.waitFor(
      async () => (await stack.chatQueue.getFailedCount()) === 3,
      5_000,
      'three failed jobs',
    );
    const reasons = (await stack.chatQueue.getFailed()).map((j) => j.failedReason).sort();
    expect(reasons.map((r) => r.split(':')[0])).toEqual([
      'model_not_found',
      'overloaded',
      'unauthorized',
    ]);
    expect(stack.botMessages(channel(7))).toHaveLength(1);
  });

  it('streams several answers at once without earning a 429', async () => {
    const chunks = Array.from({ length: 60 }, (_, i) => `word${i} `);
    const channels = [channel(8), channel(9), channel(10)];
    for (const _ of channels) stack.chutes.script({ chunks, chunkDelayMs: 40 });
    for (const id of channels) {
      stack.discord.sendMessage({
        channelId: id,
        author: ANN,
        content: 'count',
        mentionsBot: true,
      });
      // The same person again: it waits for the first, whose script is then sure.
      stack.discord.sendMessage({
        channelId: id,
        author: ANN,
        content: 'again',
        mentionsBot: true,
      });
    }
    for (const id of channels)
      await finalReply(
        id,
        (t) => (t.match(/word59/g) ?? []).length === 1 && t.includes('You said: Ann: again'),
        30_000,
      );
    expect(stack.discord.rateLimited).toEqual([]);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await stack.service.stop()).toBe(0);
    expect(stack.service.errors()).toEqual([]);
    expect(BOT.id).toBeTruthy();
  });
});
