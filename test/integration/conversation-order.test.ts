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
    expect(await order.release(conv, 'x')).toBe('y');
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
});
