import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationOrder } from '../../src/queue/conversation-order.js';
import { BACKEND_KINDS, openTestBackend, type TestBackend } from '../support/backends.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// One contract, both homes of the conversation lines: Redis and Postgres.
describe.each(BACKEND_KINDS)('conversation order on %s', (kind) => {
  let t: TestBackend;
  let order: ConversationOrder;
  beforeAll(async () => {
    t = await openTestBackend(kind);
    order = t.backend.order;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gives the turn to one job at a time, in the order they registered, under concurrent polling', async () => {
    const conv = 'race';
    const ids = Array.from({ length: 12 }, (_, i) => `job-${i}`);
    // Registered all at once, from as many callers: the line is whatever order won.
    const added = await Promise.all(ids.map((id) => order.register(conv, id)));
    expect(added.every(Boolean)).toBe(true);
    const running = new Set<string>();
    const ran: string[] = [];
    let overlap = 0;
    const states = new Map<string, string>(ids.map((id) => [id, 'waiting']));
    const stateOf = async (id: string) => states.get(id) ?? 'unknown';
    await Promise.all(
      ids.map(async (id) => {
        while (!(await order.isTurn(conv, id, stateOf))) await sleep(5);
        running.add(id);
        if (running.size > 1) overlap++;
        ran.push(id);
        await sleep(10);
        running.delete(id);
        states.set(id, 'completed');
        await order.release(conv, id);
      }),
    );
    expect(overlap).toBe(0);
    expect(ran).toHaveLength(12);
    expect(new Set(ran).size).toBe(12);
  });

  it('keeps the order in which one process registered, even when the calls overlap', async () => {
    const conv = 'arrivals';
    const ids = Array.from({ length: 20 }, (_, i) => `arrival-${i}`);
    // A gateway registers each event as it arrives, without waiting for the one before.
    await Promise.all(ids.map((id) => order.register(conv, id)));
    const ran: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const head = ids.find((id) => !ran.includes(id))!;
      for (const id of ids.filter((other) => !ran.includes(other)))
        expect(await order.isTurn(conv, id, async () => 'waiting')).toBe(id === head);
      ran.push(head);
      await order.release(conv, head);
    }
    expect(ran).toEqual(ids);
  });

  it('drops a head whose job finished without releasing it, and refuses a second registration', async () => {
    const conv = 'stale';
    expect(await order.register(conv, 'a')).toBe(true);
    expect(await order.register(conv, 'b')).toBe(true);
    expect(await order.register(conv, 'a')).toBe(false);
    const states: Record<string, string> = { a: 'active', b: 'waiting' };
    const stateOf = async (id: string) => states[id] ?? 'unknown';
    expect(await order.isTurn(conv, 'b', stateOf)).toBe(false);
    // `a`'s worker died after the job completed, before it released the turn.
    states.a = 'completed';
    expect(await order.isTurn(conv, 'b', stateOf)).toBe(true);
  });

  it('lets a job whose registration was lost queue up again, behind the line', async () => {
    const conv = 'lost';
    expect(await order.register(conv, 'x')).toBe(true);
    const stateOf = async () => 'waiting';
    // `y` never registered (or its entry expired): it joins at the tail.
    expect(await order.isTurn(conv, 'y', stateOf)).toBe(false);
    expect(await order.release(conv, 'x')).toEqual(['y']);
    expect(await order.isTurn(conv, 'y', stateOf)).toBe(true);
    // In an empty line, such a job runs at once.
    expect(await order.isTurn('empty', 'z', stateOf)).toBe(true);
  });

  it('takes back a registration whose job never reached the queue', async () => {
    expect(await order.register('undo', 'm')).toBe(true);
    await order.unregister('undo', 'm');
    expect(await order.register('undo', 'm')).toBe(true);
    expect(await order.isTurn('undo', 'm', async () => 'waiting')).toBe(true);
  });

  describe('in a shared conversation (a lane per author)', () => {
    const waiting = async () => 'waiting';
    /** Who may run now, of these jobs with their lanes (none: strict). */
    const mayRun = async (conv: string, jobs: [string, string?][]) => {
      const free: string[] = [];
      for (const [id, lane] of jobs) if (await order.isTurn(conv, id, waiting, lane)) free.push(id);
      return free;
    };

    it("lets each author's first question run at once, the rest after their own author's", async () => {
      const conv = 'lanes';
      const jobs: [string, string][] = [
        ['ann-1', 'ann'],
        ['bob-1', 'bob'],
        ['ann-2', 'ann'],
        ['cat-1', 'cat'],
        ['bob-2', 'bob'],
      ];
      for (const [id, lane] of jobs) expect(await order.register(conv, id, lane)).toBe(true);
      expect(await mayRun(conv, jobs)).toEqual(['ann-1', 'bob-1', 'cat-1']);
      // bob-1 is done: its author's next question may go, and only that one is woken.
      expect(await order.release(conv, 'bob-1')).toEqual(['bob-2']);
      expect(await mayRun(conv, jobs.slice(2))).toEqual(['cat-1', 'bob-2']);
      // Another author's job leaving wakes nobody of ann's.
      expect(await order.release(conv, 'cat-1')).toEqual([]);
      expect(await order.release(conv, 'ann-1')).toEqual(['ann-2']);
    });

    it('runs a job without a lane (/forget) after every earlier job, and every later one after it', async () => {
      const conv = 'barrier';
      const jobs: [string, string?][] = [
        ['b-ann-1', 'ann'],
        ['b-bob-1', 'bob'],
        ['b-forget', undefined],
        ['b-cat-1', 'cat'],
        ['b-ann-2', 'ann'],
      ];
      for (const [id, lane] of jobs) await order.register(conv, id, lane);
      expect(await mayRun(conv, jobs)).toEqual(['b-ann-1', 'b-bob-1']);
      expect(await order.release(conv, 'b-ann-1')).toEqual([]);
      expect(await order.release(conv, 'b-bob-1')).toEqual(['b-forget']);
      expect(await mayRun(conv, jobs.slice(2))).toEqual(['b-forget']);
      // The barrier leaves: everyone it held back, one per author, may go.
      expect(await order.release(conv, 'b-forget')).toEqual(['b-cat-1', 'b-ann-2']);
      expect(await mayRun(conv, jobs.slice(3))).toEqual(['b-cat-1', 'b-ann-2']);
    });

    it("drops a finished job in an author's way, and queues a lost job again in its lane", async () => {
      const conv = 'lanes-stale';
      await order.register(conv, 's-ann-1', 'ann');
      await order.register(conv, 's-bob-1', 'bob');
      await order.register(conv, 's-ann-2', 'ann');
      const states: Record<string, string> = { 's-ann-1': 'active' };
      const stateOf = async (id: string) => states[id] ?? 'waiting';
      expect(await order.isTurn(conv, 's-ann-2', stateOf, 'ann')).toBe(false);
      // ann-1's worker died after the job completed, before it left the line.
      states['s-ann-1'] = 'completed';
      expect(await order.isTurn(conv, 's-ann-2', stateOf, 'ann')).toBe(true);
      // bob-1 still in the line: a lost job of bob's queues up behind it, one of cat's runs.
      expect(await order.isTurn(conv, 's-bob-lost', stateOf, 'bob')).toBe(false);
      expect(await order.isTurn(conv, 's-cat-lost', stateOf, 'cat')).toBe(true);
      expect(await order.release(conv, 's-bob-1')).toEqual(['s-bob-lost']);
    });

    it('keeps per-author order when many workers poll at once, and overlaps authors', async () => {
      const conv = 'lanes-race';
      const authors = ['a', 'b', 'c', 'd'];
      const jobs = Array.from({ length: 16 }, (_, i) => ({
        id: `race-${i}`,
        lane: authors[i % authors.length]!,
      }));
      for (const job of jobs) await order.register(conv, job.id, job.lane);
      const states = new Map<string, string>();
      const stateOf = async (id: string) => states.get(id) ?? 'waiting';
      const running = new Map<string, string>();
      const ran: typeof jobs = [];
      let overlapSameAuthor = 0;
      let overlapOthers = 0;
      await Promise.all(
        jobs.map(async (job) => {
          while (!(await order.isTurn(conv, job.id, stateOf, job.lane))) await sleep(5);
          if ([...running.values()].includes(job.lane)) overlapSameAuthor++;
          if (running.size > 0) overlapOthers++;
          running.set(job.id, job.lane);
          ran.push(job);
          await sleep(20);
          running.delete(job.id);
          states.set(job.id, 'completed');
          await order.release(conv, job.id);
        }),
      );
      expect(overlapSameAuthor).toBe(0);
      expect(overlapOthers).toBeGreaterThan(0);
      for (const author of authors)
        expect(ran.filter((j) => j.lane === author).map((j) => j.id)).toEqual(
          jobs.filter((j) => j.lane === author).map((j) => j.id),
        );
    });
  });
});
