/**
 * The faults of a chaos run, on the plan's schedule while the load runs:
 * SIGKILL a random process and restart it, cut Redis or Postgres off for a
 * while (through the TCP proxies the processes reach them by), SIGTERM one
 * worker once.
 */
import type { TcpProxy } from '../support/tcp-proxy.js';
import { sleep, type ChaosPlan } from './plan.js';
import { SLOTS, type SlotName, type Supervisor } from './supervisor.js';

export interface StoreCut {
  readonly store: 'redis' | 'postgres';
  readonly at: number;
  readonly forMs: number;
}

export interface ChaosFaults {
  readonly cuts: StoreCut[];
  /** Resolves once every fault is over (stores restored, the SIGTERMed worker restarted). */
  readonly done: Promise<void>;
}

export interface FaultTargets {
  readonly supervisor: Supervisor;
  readonly proxies: { readonly redis?: TcpProxy; readonly postgres: TcpProxy };
  readonly random: () => number;
  readonly say: (line: string) => void;
}

/** Starts the schedule at `start`; it ends at `start + plan.loadMs`. */
export function runFaults(plan: ChaosPlan, targets: FaultTargets, start: number): ChaosFaults {
  const cuts: StoreCut[] = [];
  const end = start + plan.loadMs;
  const { supervisor, proxies, random, say } = targets;
  const stamp = () => `  ${((Date.now() - start) / 1000).toFixed(1).padStart(6)} s `;
  const pending: Promise<void>[] = [];

  const killing = (async () => {
    const victims = plan.kills.victims ? [...plan.kills.victims] : [];
    let bag: SlotName[] = [];
    let next = start + plan.kills.firstAtMs;
    while (next < end) {
      await sleep(next - Date.now());
      const up = supervisor.upSlots();
      let victim: SlotName | undefined;
      if (plan.kills.victims) victim = victims.shift();
      else {
        if (bag.length === 0) bag = shuffle([...SLOTS], random);
        // The next in the bag that is up (one restarting is skipped, and stays in the bag).
        victim = bag.find((slot) => up.includes(slot));
        bag = bag.filter((slot) => slot !== victim);
      }
      // Restarts run on while the schedule goes on.
      if (victim) pending.push(supervisor.kill(victim));
      next += plan.kills.everyMs + (random() * 2 - 1) * plan.kills.jitterMs;
    }
  })();

  const cutting = (async () => {
    const stores: StoreCut['store'][] = proxies.redis ? ['redis', 'postgres'] : ['postgres'];
    let at = start + plan.cuts.firstAtMs;
    for (let i = 0; at + plan.cuts.forMs <= end; i++, at += plan.cuts.everyMs) {
      await sleep(at - Date.now());
      const store = stores[i % stores.length]!;
      const proxy = store === 'redis' ? proxies.redis! : proxies.postgres;
      cuts.push({ store, at: Date.now(), forMs: plan.cuts.forMs });
      say(`${stamp()} cut ${store} for ${plan.cuts.forMs / 1000} s`);
      proxy.cut();
      await sleep(plan.cuts.forMs);
      proxy.restore();
      say(`${stamp()} ${store} restored`);
    }
  })();

  const stopping = (async () => {
    await sleep(start + plan.sigtermAtMs - Date.now());
    // A worker in the middle of an answer, when one is within 10 s: its shutdown has work to finish.
    const until = Date.now() + 10_000;
    for (;;) {
      const workers = supervisor.upSlots().filter((s) => s !== 'gateway');
      const streams = await Promise.all(workers.map((w) => supervisor.activeStreams(w)));
      const busy = workers.filter((_, i) => streams[i]! > 0);
      const candidates = busy.length > 0 ? busy : Date.now() > until ? workers : [];
      const worker = candidates[Math.floor(random() * candidates.length)];
      if (worker) return supervisor.terminate(worker);
      await sleep(200);
    }
  })();

  const done = Promise.all([killing, cutting, stopping]).then(async () => {
    await Promise.all(pending);
  });
  return { cuts, done };
}

/** Fisher–Yates, with the run's seeded generator. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
