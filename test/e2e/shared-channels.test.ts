/**
 * A Discord server channel is shared: its questions are answered side by
 * side, each person's in order, and each answer's request holds exactly the
 * history the rule gives it (the exchanges stored when the question arrived,
 * plus its author's own, in the order of the questions). Threads and DMs keep
 * strict order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/chutes/types.js';
import type { FakeUser } from '../fakes/discord/types.js';
import { ANN, BOB, BOT, channel, startStack, THREAD, type Stack } from './stack.js';

const CAROL: FakeUser = { id: '200000000000000003', username: 'carol', globalName: 'Carol' };
const DAVE: FakeUser = { id: '200000000000000004', username: 'dave', globalName: 'Dave' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The tag of a question (`A1` in `A1 wait=2500`): its answer is `Answer to A1.` */
const tagOf = (text: string) => /\b([A-Z]\d)\b/.exec(text)?.[1] ?? '?';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    chutes: {
      recordChunks: true,
      // Each question says how long its answer takes to start: `wait=<ms>`.
      defaultChat: (body) => {
        const asked = body.messages.at(-1)!.content;
        return {
          chunks: ['Answer ', `to ${tagOf(asked)}.`],
          firstChunkDelayMs: Number(/wait=(\d+)/.exec(asked)?.[1] ?? 0),
        };
      },
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  expect(stack.discord.rateLimited).toEqual([]);
});

/** The chat request that asked question `tag`, once its answer is complete. */
async function requestFor(tag: string, timeoutMs = 20_000): Promise<RecordedRequest> {
  return stack.discord.waitFor(
    () =>
      stack.chutes.requests.find((r) => {
        const body = r.body as { messages?: { content: string }[] } | undefined;
        return (
          r.path.endsWith('/chat/completions') &&
          r.endedAt !== undefined &&
          tagOf(body?.messages?.at(-1)?.content ?? '') === tag
        );
      }),
    timeoutMs,
    `the request for ${tag}`,
  );
}

/** What a request sent after the system prompt: `Ann: A1 …` for questions, the answers as they are. */
function sent(request: RecordedRequest): string[] {
  const body = request.body as { messages: { role: string; content: string }[] };
  return body.messages.filter((m) => m.role !== 'system').map((m) => m.content);
}

/** A question and its answer as the model is sent them. */
const exchange = (who: string, text: string) => [`${who}: ${text}`, `Answer to ${tagOf(text)}.`];

function ask(channelId: string, author: FakeUser, text: string) {
  return stack.discord.sendMessage({ channelId, author, content: text, mentionsBot: true });
}

/** Waits until every question has its final answer in the channel. */
function answered(channelId: string, count: number) {
  return stack.discord.waitFor(
    () => {
      const done = stack
        .botMessages(channelId)
        .filter((m) => /^Answer to [A-Z]\d\.$/.test(m.content));
      return done.length >= count ? done : undefined;
    },
    30_000,
    `${count} final answers in ${channelId}`,
  );
}

describe('a shared channel', () => {
  it("answers people in parallel, each question seeing what was stored when it arrived plus its author's own", async () => {
    const where = channel(3);
    const q = {
      A1: 'A1 wait=2500 what is a monad?',
      B1: 'B1 wait=1000 and a functor?',
      C1: 'C1 wait=1000 and an applicative?',
      A2: 'A2 and in Haskell?',
      D1: 'D1 so, which one first?',
    };
    ask(where, ANN, q.A1);
    await sleep(100);
    ask(where, BOB, q.B1);
    await sleep(100);
    ask(where, CAROL, q.C1);
    await sleep(100);
    const a2 = ask(where, ANN, q.A2);

    const [a1, b1, c1, a2Request] = await Promise.all(
      ['A1', 'B1', 'C1', 'A2'].map((tag) => requestFor(tag)),
    );
    // Bob and Carol did not wait for Ann: their requests went while hers was streaming.
    expect(b1!.at).toBeLessThan(a1!.endedAt!);
    expect(c1!.at).toBeLessThan(a1!.endedAt!);
    expect(c1!.at).toBeLessThan(b1!.endedAt!);
    // Ann's second question waited for her first, marked ⏳ meanwhile.
    expect(a2Request!.at).toBeGreaterThanOrEqual(a1!.endedAt!);
    const mark = stack.discord.message(a2.id)?.reactions.find((r) => r.userId === BOT.id);
    expect(mark?.emoji).toBe('⏳');

    // Nothing was stored when A1, B1 and C1 arrived.
    expect(sent(a1!)).toEqual([`Ann: ${q.A1}`]);
    expect(sent(b1!)).toEqual([`Bob: ${q.B1}`]);
    expect(sent(c1!)).toEqual([`Carol: ${q.C1}`]);
    // B1 and C1 were stored before A2 ran, but after it arrived: A2 sees only Ann's own.
    expect(b1!.endedAt!).toBeLessThan(a2Request!.at);
    expect(sent(a2Request!)).toEqual([...exchange('Ann', q.A1), `Ann: ${q.A2}`]);

    // Once all is stored, a newcomer sees every exchange, in the order of the questions.
    await answered(where, 4);
    ask(where, DAVE, q.D1);
    const d1 = await requestFor('D1');
    expect(sent(d1)).toEqual([
      ...exchange('Ann', q.A1),
      ...exchange('Bob', q.B1),
      ...exchange('Carol', q.C1),
      ...exchange('Ann', q.A2),
      `Dave: ${q.D1}`,
    ]);

    await answered(where, 5);
    // The answers were stored in the order they finished, B1 and C1 before A1;
    // history is read in the order the questions came.
    const { rows } = await stack.database.pool.query<{ tag: string; stored: number }>(
      `SELECT substring(content for 2) AS tag, rank() OVER (ORDER BY stored_at) AS stored
       FROM conversation_messages WHERE conversation_key = $1 AND role = 'user'
       ORDER BY asked_at, job_id, id`,
      [where],
    );
    expect(rows.map((r) => r.tag)).toEqual(['A1', 'B1', 'C1', 'A2', 'D1']);
    const storedRank = Object.fromEntries(rows.map((r) => [r.tag, Number(r.stored)]));
    expect(storedRank.A1).toBeGreaterThan(storedRank.B1!);
    expect(storedRank.A1).toBeGreaterThan(storedRank.C1!);
  });
});

describe('a thread and a DM', () => {
  it('keep strict order: a question waits for everyone before it, and sees every exchange', async () => {
    ask(THREAD, ANN, 'T1 wait=1500 count the moons of Mars');
    await sleep(100);
    ask(THREAD, BOB, 'T2 and of Jupiter?');
    const [t1, t2] = await Promise.all([requestFor('T1'), requestFor('T2')]);
    expect(t2!.at).toBeGreaterThanOrEqual(t1!.endedAt!);
    expect(sent(t2!)).toEqual([
      ...exchange('Ann', 'T1 wait=1500 count the moons of Mars'),
      'Bob: T2 and of Jupiter?',
    ]);

    const dm = stack.discord.openDm(ANN);
    stack.discord.sendMessage({ channelId: dm, author: ANN, content: 'M1 wait=1000 hello' });
    await sleep(100);
    stack.discord.sendMessage({ channelId: dm, author: ANN, content: 'M2 again' });
    const [m1, m2] = await Promise.all([requestFor('M1'), requestFor('M2')]);
    expect(m2!.at).toBeGreaterThanOrEqual(m1!.endedAt!);
    expect(sent(m2!)).toEqual([...exchange('Ann', 'M1 wait=1000 hello'), 'Ann: M2 again']);
    await answered(THREAD, 2);
    await answered(dm, 2);
  });
});
