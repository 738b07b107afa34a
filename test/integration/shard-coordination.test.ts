/**
 * The gateway shard coordination's contract on both stores (Redis, Postgres
 * alone): leases shared fairly, a dead process's shards taken over, release
 * before the next owner's acquire, stored sessions, the identify gate's
 * spacing, and a store outage. Each "process" is a coordination of its own on
 * the same store, with short timings.
 */
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ShardCoordination, ShardMembership } from '../../src/core/shard-coordination.js';
import { createPool, endPool } from '../../src/db/client.js';
import { PgShards } from '../../src/queue/pg-shards.js';
import { RedisShards } from '../../src/queue/redis-shards.js';
import { LeaseMembership, type ShardTimings } from '../../src/queue/shard-leases.js';
import { BACKEND_KINDS, openTestBackend, type TestBackend } from '../support/backends.js';
import { createTestDatabase } from '../support/pg.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { startTcpProxy, targetOf, viaProxy } from '../support/tcp-proxy.js';

const TIMINGS: ShardTimings = {
  leaseTtlMs: 800,
  tickMs: 150,
  identifySpacingMs: 300,
  sessionTtlMs: 400,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What every process's handlers did, in order, with when. */
interface Event {
  readonly owner: string;
  readonly what: 'acquire' | 'release-start' | 'release-end';
  readonly shardId: number;
  readonly at: number;
}

async function join(
  coordination: ShardCoordination,
  owner: string,
  shardCount: number,
  events: Event[],
  releaseMs = 0,
): Promise<ShardMembership> {
  const note = (what: Event['what'], shardId: number) =>
    events.push({ owner, what, shardId, at: performance.now() });
  return coordination.join({
    owner,
    shardCount,
    handlers: {
      acquire: async (shardId) => void note('acquire', shardId),
      release: async (shardId) => {
        note('release-start', shardId);
        if (releaseMs) await sleep(releaseMs);
        note('release-end', shardId);
      },
    },
  });
}

const wait = (check: () => void, timeout: number) => vi.waitFor(check, { timeout, interval: 25 });

describe.each(BACKEND_KINDS)('gateway shard coordination on %s', (kind) => {
  let t: TestBackend;
  const joined: ShardMembership[] = [];
  const peer = () => t.shards({ timings: TIMINGS });
  const member = async (...args: Parameters<typeof join>) => {
    const m = await join(...args);
    joined.push(m);
    return m;
  };
  beforeAll(async () => {
    t = await openTestBackend(kind);
  });
  afterAll(async () => {
    for (const m of joined) (m as LeaseMembership).halt();
    await t?.close();
  });

  it('splits 8 shards 4/4 between two processes, and 3/3/2 when a third joins', async () => {
    const events: Event[] = [];
    // Started together: each waits a tick before claiming, so neither takes all first.
    const [a, b] = await Promise.all([
      member(peer(), 'a', 8, events),
      member(peer(), 'b', 8, events),
    ]);
    await wait(() => {
      expect(a.shards).toHaveLength(4);
      expect(b.shards).toHaveLength(4);
    }, 3_000);
    expect(new Set([...a.shards, ...b.shards]).size).toBe(8);
    expect(events.filter((e) => e.what !== 'acquire')).toEqual([]);
    const c = await member(peer(), 'c', 8, events);
    await wait(() => {
      expect([a.shards.length, b.shards.length, c.shards.length].sort()).toEqual([2, 3, 3]);
      expect(new Set([...a.shards, ...b.shards, ...c.shards]).size).toBe(8);
    }, 3_000);
    // Each shard is connected by one process at a time: every acquire after a release.
    const holders = new Map<number, string>();
    for (const e of events) {
      if (e.what === 'acquire') {
        expect(holders.get(e.shardId)).toBeUndefined();
        holders.set(e.shardId, e.owner);
      } else if (e.what === 'release-end') holders.delete(e.shardId);
    }
    await Promise.all([a.leave(), b.leave(), c.leave()]);
    expect([...a.shards, ...b.shards, ...c.shards]).toEqual([]);
  });

  it('takes over the shards of a process that stopped renewing within the TTL and a tick', async () => {
    const events: Event[] = [];
    const a = await member(peer(), 'killed', 4, events);
    const b = await member(peer(), 'survivor', 4, events);
    await wait(() => expect([a.shards.length, b.shards.length]).toEqual([2, 2]), 3_000);
    const killedAt = performance.now();
    (a as LeaseMembership).halt();
    await wait(() => expect(b.shards).toEqual([0, 1, 2, 3]), 3_000);
    const tookMs = performance.now() - killedAt;
    expect(tookMs).toBeGreaterThan(TIMINGS.leaseTtlMs - 2 * TIMINGS.tickMs);
    expect(tookMs).toBeLessThan(TIMINGS.leaseTtlMs + 4 * TIMINGS.tickMs);
    // The killed process was never told: its leases ran out.
    expect(events.filter((e) => e.owner === 'killed' && e.at >= killedAt)).toEqual([]);
    await b.leave();
  });

  it('gives a process restarted under the same owner id its shards back before their leases lapse', async () => {
    const events: Event[] = [];
    const before = await member(peer(), 'host:3000', 2, events);
    await wait(() => expect(before.shards).toEqual([0, 1]), 2_000);
    // Killed: nothing released; the same place starts again.
    (before as LeaseMembership).halt();
    const restartedAt = performance.now();
    const after = await member(peer(), 'host:3000', 2, events);
    await wait(() => expect(after.shards).toEqual([0, 1]), 2_000);
    expect(performance.now() - restartedAt).toBeLessThan(TIMINGS.leaseTtlMs);
    // Taken back, not started anew: nothing was released by the one killed.
    expect(events.filter((e) => e.what === 'release-end')).toEqual([]);
    await after.leave();
  });

  it('hands over at once on leave, and frees a lease only after its release finished', async () => {
    const events: Event[] = [];
    const a = await member(peer(), 'leaving', 2, events, 200);
    await wait(() => expect(a.shards).toEqual([0, 1]), 2_000);
    // A second process: the first gives shard 1 back, its release taking 200 ms.
    const b = await member(peer(), 'next', 2, events);
    await wait(() => expect(b.shards).toEqual([1]), 3_000);
    const released = events.find((e) => e.owner === 'leaving' && e.what === 'release-end')!;
    const acquired = events.find((e) => e.owner === 'next' && e.what === 'acquire')!;
    expect(released.shardId).toBe(1);
    expect(acquired.at).toBeGreaterThanOrEqual(released.at);
    await a.leave();
    const leftAt = performance.now();
    expect(a.shards).toEqual([]);
    await wait(() => expect(b.shards).toEqual([0, 1]), 2_000);
    // The next tick, not the TTL.
    expect(performance.now() - leftAt).toBeLessThan(TIMINGS.leaseTtlMs / 2);
    const last = events.filter((e) => e.shardId === 0).map((e) => `${e.owner} ${e.what}`);
    expect(last).toEqual([
      'leaving acquire',
      'leaving release-start',
      'leaving release-end',
      'next acquire',
    ]);
    await b.leave();
  });

  it('gives a failed acquire’s lease back for another process to try', async () => {
    const coordination = peer();
    let tries = 0;
    const failing = await coordination.join({
      owner: 'failing',
      shardCount: 1,
      handlers: {
        acquire: async () => {
          tries++;
          throw new Error('cannot connect');
        },
        release: async () => undefined,
      },
    });
    joined.push(failing);
    await wait(() => expect(tries).toBeGreaterThan(0), 2_000);
    // Stopped as if killed right after: its lease must not wait for the TTL.
    (failing as LeaseMembership).halt();
    expect(failing.shards).toEqual([]);
    const events: Event[] = [];
    const other = await member(peer(), 'other', 1, events);
    // Well before the TTL: the lease was deleted, not left to expire.
    await wait(() => expect(other.shards).toEqual([0]), TIMINGS.leaseTtlMs / 2);
    await other.leave();
  });

  it('stops a shard locally when another process took its lease, and leaves that lease alone', async () => {
    const redis = new Redis(REDIS_URL);
    const lease = `${t.prefix}:shards:7:lease:0`;
    // As if this process had stalled past its TTL and another had taken the shard.
    const steal = async () => {
      if (kind === 'redis') await redis.set(lease, 'thief', 'PX', 5_000);
      else
        await t.db.execute(
          sql`UPDATE gateway_shard_lease SET owner = 'thief' WHERE shard_count = 7 AND shard_id = 0`,
        );
    };
    const ownerOf = async () => {
      if (kind === 'redis') return redis.get(lease);
      const { rows } = await t.db.execute<{ owner: string }>(
        sql`SELECT owner FROM gateway_shard_lease WHERE shard_count = 7 AND shard_id = 0`,
      );
      return rows[0]?.owner;
    };
    try {
      const events: Event[] = [];
      const a = await member(peer(), 'robbed', 7, events);
      await wait(() => expect(a.shards).toEqual([0, 1, 2, 3, 4, 5, 6]), 2_000);
      await steal();
      await wait(() => expect(a.shards).toEqual([1, 2, 3, 4, 5, 6]), 1_000);
      expect(
        events.filter((e) => e.what !== 'acquire').map((e) => `${e.what} ${e.shardId}`),
      ).toEqual(['release-start 0', 'release-end 0']);
      await a.leave();
      expect(await ownerOf()).toBe('thief');
    } finally {
      await redis.quit();
    }
  });

  it('stores sessions per shard, for the shard count they were started with', async () => {
    const { sessions } = peer();
    const info = {
      sessionId: 's1',
      sequence: 42,
      resumeUrl: 'wss://resume.example',
      shardCount: 4,
    };
    expect(await sessions.get(3, 4)).toBeUndefined();
    await sessions.put(3, info);
    expect(await sessions.get(3, 4)).toEqual(info);
    // Another process reads it; another count does not resume it.
    expect(await peer().sessions.get(3, 4)).toEqual(info);
    expect(await sessions.get(3, 8)).toBeUndefined();
    await sessions.put(3, { ...info, sequence: 43 });
    expect((await sessions.get(3, 4))?.sequence).toBe(43);
    await sessions.remove(3);
    expect(await sessions.get(3, 4)).toBeUndefined();
    // Kept only a while after the last put.
    await sessions.put(5, info);
    await sleep(TIMINGS.sessionTtlMs + 100);
    expect(await sessions.get(5, 4)).toBeUndefined();
    // The backend's own coordination is the same store's.
    await t.backend.shards.sessions.put(6, info);
    expect(await sessions.get(6, 4)).toEqual(info);
  });

  it('spaces session starts per identify bucket across processes', async () => {
    const [a, b] = [peer(), peer()];
    const starts: number[] = [];
    const start = (gate: ShardCoordination, shardId: number) =>
      gate.identify.wait(shardId, 2).then(() => starts.push(performance.now()));
    const began = performance.now();
    // Shards 0, 2 and 4 share bucket 0 of max_concurrency 2; shard 1 is bucket 1.
    let otherBucketAt = 0;
    await Promise.all([
      start(a, 0),
      start(b, 2),
      start(a, 4),
      b.identify.wait(1, 2).then(() => (otherBucketAt = performance.now())),
    ]);
    starts.sort((x, y) => x - y);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(TIMINGS.identifySpacingMs - 20);
    }
    expect(otherBucketAt - began).toBeLessThan(TIMINGS.identifySpacingMs);
    // A wait gives up when its signal aborts.
    const aborted = a.identify.wait(0, 2, AbortSignal.timeout(50));
    await expect(aborted).rejects.toThrow();
  });
});

describe.each(BACKEND_KINDS)('gateway shards on %s while the store is away', (kind) => {
  it('keeps its shards connected past the TTL, logs once, and holds their leases again when back', async () => {
    const errors: string[] = [];
    const options = { timings: TIMINGS, onError: (_: unknown, m: string) => errors.push(m) };
    const database = await createTestDatabase({ migrate: kind === 'postgres' });
    const url = kind === 'redis' ? REDIS_URL : database.url;
    const proxy = await startTcpProxy(targetOf(url));
    const prefix = uniquePrefix('shards');
    let close: () => Promise<void>;
    let coordination: ShardCoordination;
    if (kind === 'redis') {
      // As the backend's connection: fail fast while Redis is away.
      const redis = new Redis(viaProxy(url, proxy), {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 2,
        retryStrategy: () => 50,
      });
      redis.on('error', () => undefined);
      await new Promise((resolve) => redis.once('ready', resolve));
      coordination = new RedisShards(redis, prefix, options);
      close = async () => {
        redis.disconnect();
        const direct = new Redis(REDIS_URL);
        await deletePrefix(direct, prefix);
        await direct.quit();
      };
    } else {
      const pool = createPool(viaProxy(url, proxy), () => undefined, {
        connectionTimeoutMillis: 200,
      });
      coordination = new PgShards(pool, options);
      close = () => endPool(pool);
    }
    try {
      const events: Event[] = [];
      const m = await join(coordination, 'alone', 2, events);
      await wait(() => expect(m.shards).toEqual([0, 1]), 2_000);
      proxy.cut();
      // Past the lease's TTL the shards are still held: they stay connected
      // while the store is away (their questions go to the outbox).
      await wait(() => expect(errors).toHaveLength(1), 3_000);
      await sleep(TIMINGS.leaseTtlMs + 2 * TIMINGS.tickMs);
      expect(m.shards).toEqual([0, 1]);
      // One line for the outage, not one per tick.
      expect(errors).toHaveLength(1);
      proxy.restore();
      // Back: its leases are held in the store again, so a newcomer gets only
      // the shard handed to it (1), not a lease that lapsed in the outage (0).
      await sleep(TIMINGS.leaseTtlMs + 2 * TIMINGS.tickMs);
      const other = await join(coordination, 'other', 2, events);
      await wait(() => {
        expect(m.shards).toEqual([0]);
        expect(other.shards).toEqual([1]);
      }, 4_000);
      await other.leave();
      await m.leave();
    } finally {
      await close();
      await proxy.close();
      await database.drop();
    }
  });
});
