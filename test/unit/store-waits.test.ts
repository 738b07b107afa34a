import { describe, expect, it, vi } from 'vitest';
import { OutageLog } from '../../src/outage-log.js';
import { StoreWaits } from '../../src/store-waits.js';

const log = () => ({ warn: vi.fn(), info: vi.fn() });
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('StoreWaits', () => {
  it('says once that it waits, tries again with a doubling capped wait, and says when it is reached', async () => {
    const logged = log();
    const waits = new StoreWaits(logged, undefined, { firstMs: 10, longestMs: 40 });
    const tries: number[] = [];
    const pending: string[][] = [];
    const result = await waits.until('redis', async () => {
      tries.push(Date.now());
      pending.push([...waits.pending.keys()]);
      if (tries.length < 6) throw refused();
      return 'open';
    });
    expect(result).toBe('open');
    expect(logged.warn).toHaveBeenCalledTimes(1);
    expect(logged.warn).toHaveBeenCalledWith(
      { store: 'redis', reason: 'connect ECONNREFUSED 127.0.0.1:6379' },
      'waiting for redis',
    );
    expect(logged.info).toHaveBeenCalledTimes(1);
    expect(logged.info.mock.calls[0]![1]).toBe('redis reached');
    // While it waited, the store was named (for /healthz); not any more.
    expect(pending.slice(1).every((names) => names.join() === 'redis')).toBe(true);
    expect(waits.pending.size).toBe(0);
    const gaps = tries.slice(1).map((at, i) => at - tries[i]!);
    // 10, 20, 40, then capped at 40 (timers may fire a little late, never early).
    for (const [i, least] of [10, 20, 40, 40, 40].entries())
      expect(gaps[i]).toBeGreaterThanOrEqual(least - 2);
    expect(gaps[4]).toBeLessThan(200);
  });

  it('stops at once on an error that is not "unreachable" (bad credentials, no such database)', async () => {
    const logged = log();
    const waits = new StoreWaits(logged, undefined, { firstMs: 10, longestMs: 40 });
    const denied = Object.assign(new Error('password authentication failed for user "bot"'), {
      code: '28P01',
    });
    const attempt = vi.fn(async () => {
      throw denied;
    });
    await expect(waits.until('postgres', attempt)).rejects.toBe(denied);
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(logged.warn).not.toHaveBeenCalled();
  });

  it('ends the wait when its signal aborts', async () => {
    const stop = new AbortController();
    const waits = new StoreWaits(log(), stop.signal, { firstMs: 1_000, longestMs: 5_000 });
    const waiting = waits.until('postgres', async () => {
      throw refused();
    });
    await sleep(20);
    stop.abort(new Error('SIGTERM while starting'));
    await expect(waiting).rejects.toThrow('SIGTERM while starting');
  });
});

describe('OutageLog', () => {
  const timing = { probeMs: 10, quietMs: 30, remindMs: 60_000 };

  it('logs an outage once when it starts and once when the store answers again, counting the errors between', async () => {
    const logged = log();
    let away = true;
    const outage = new OutageLog(
      'redis',
      logged,
      async () => {
        if (away) throw refused();
      },
      timing,
    );
    for (let i = 0; i < 50; i++) expect(outage.absorb(refused(), 'chat worker')).toBe(true);
    expect(logged.warn).toHaveBeenCalledTimes(1);
    expect(logged.warn.mock.calls[0]![1]).toBe('redis unreachable');
    await sleep(60);
    expect(logged.info).not.toHaveBeenCalled();
    expect(outage.active).toBe(true);
    away = false;
    await vi.waitFor(() => expect(logged.info).toHaveBeenCalledTimes(1));
    const [details, message] = logged.info.mock.calls[0]!;
    expect(message).toBe('redis reachable again');
    expect(details).toMatchObject({ store: 'redis', errors: 50 });
    expect((details as { outageMs: number }).outageMs).toBeGreaterThanOrEqual(60);
    expect(outage.active).toBe(false);
    // The next outage is a new one.
    outage.absorb(new Error('Connection is closed.'));
    expect(logged.warn).toHaveBeenCalledTimes(2);
    outage.close();
  });

  it('leaves other errors to the caller', () => {
    const logged = log();
    const outage = new OutageLog('redis', logged, async () => undefined, timing);
    expect(outage.absorb(new Error('Missing lock for job 1. moveToDelayed'))).toBe(false);
    expect(outage.absorb(undefined)).toBe(false);
    expect(logged.warn).not.toHaveBeenCalled();
    expect(outage.active).toBe(false);
  });

  it('waits until the errors have stopped, and recalls a long outage', async () => {
    const logged = log();
    const outage = new OutageLog('postgres', logged, async () => undefined, {
      probeMs: 10,
      quietMs: 80,
      remindMs: 40,
    });
    outage.absorb(refused());
    // The store answers its probe, but connections still fail: not over yet.
    for (let i = 0; i < 5; i++) {
      await sleep(20);
      outage.absorb(refused());
    }
    expect(logged.info).not.toHaveBeenCalled();
    expect(logged.warn.mock.calls.map((c) => c[1])).toContain('postgres still unreachable');
    await vi.waitFor(() => expect(logged.info).toHaveBeenCalledTimes(1));
    outage.close();
  });
});
