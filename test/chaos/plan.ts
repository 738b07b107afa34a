/**
 * What a chaos run does and when: the load it drives, the faults it injects
 * and their timing. `fullPlan` is `npm run chaos` (the schedule of the issue);
 * `shortPlan` is the scaled-down run inside `npm test`.
 */
import type { AnswerShape } from '../../bench/answers.js';
import type { SlotName } from './supervisor.js';

/** Where the service keeps its queue: Redis (and data in Postgres), or Postgres alone. */
export type ChaosBackend = 'redis' | 'postgres';
export const CHAOS_BACKENDS: readonly ChaosBackend[] = ['redis', 'postgres'];

export interface ChaosPlan {
  readonly backend: ChaosBackend;
  /** How long load is driven (and faults injected). */
  readonly loadMs: number;
  readonly load: {
    /** A Discord mention (channels and a thread, many people) every this often. */
    readonly discordEveryMs: number;
    /** A Slack mention every this often; `followUpShare` of them in an earlier thread. */
    readonly slackEveryMs: number;
    readonly followUpShare: number;
    /** An /imagine every this often, Discord and Slack in turn. */
    readonly imagineEveryMs: number;
  };
  /** The fake model's answers: `tokens` chunks, `chunkDelayMs` apart. */
  readonly answer: AnswerShape;
  /**
   * SIGKILL a process (then restart it) every `everyMs` ± `jitterMs`, from
   * `firstAtMs`: the `victims` in turn when given, else a random one (each
   * process once per round of three, in a random order).
   */
  readonly kills: {
    readonly firstAtMs: number;
    readonly everyMs: number;
    readonly jitterMs: number;
    readonly victims?: readonly SlotName[];
  };
  /** Cut Redis or Postgres (in turn; Postgres only without Redis) for `forMs`, from `firstAtMs`. */
  readonly cuts: { readonly firstAtMs: number; readonly everyMs: number; readonly forMs: number };
  /** SIGTERM one worker once, at this moment (then restart it). */
  readonly sigtermAtMs: number;
  /** After the load: the longest wait for every accepted question to be answered. */
  readonly drainMs: number;
  /** Seeds the random choices (which process is killed, who asks where). */
  readonly seed: number;
}

/** The schedule: a kill every ~20 s, a 10-s cut every ~2 minutes, one SIGTERM. */
export function fullPlan(backend: ChaosBackend, minutes: number, seed = Date.now()): ChaosPlan {
  const loadMs = Math.round(minutes * 60_000);
  return {
    backend,
    loadMs,
    load: {
      discordEveryMs: 2_000,
      slackEveryMs: 4_000,
      followUpShare: 0.3,
      imagineEveryMs: 15_000,
    },
    answer: { tokens: 16, chunkDelayMs: 150 },
    kills: { firstAtMs: 15_000, everyMs: 20_000, jitterMs: 5_000 },
    cuts: { firstAtMs: 45_000, everyMs: 120_000, forMs: 10_000 },
    sigtermAtMs: Math.round(loadMs * 0.4),
    drainMs: 180_000,
    seed: seed % 2 ** 31,
  };
}

/**
 * About 30 s of load per backend, for `npm test`, on a fixed schedule: a
 * worker killed before the cut, the other during it, the store cut off for
 * 8 s, a worker stopped, and the gateway killed well after the store is back
 * (a gateway killed while it keeps jobs for an unreachable queue loses them:
 * see docs/failures.md; the full run meets that case at random).
 */
export function shortPlan(backend: ChaosBackend, seed = Date.now()): ChaosPlan {
  return {
    backend,
    loadMs: 30_000,
    load: {
      discordEveryMs: 3_000,
      slackEveryMs: 5_000,
      followUpShare: 0.3,
      imagineEveryMs: 10_000,
    },
    answer: { tokens: 12, chunkDelayMs: 150 },
    kills: {
      firstAtMs: 5_000,
      everyMs: 10_000,
      jitterMs: 0,
      victims: ['worker1', 'worker2', 'gateway'],
    },
    cuts: { firstAtMs: 8_000, everyMs: 120_000, forMs: 8_000 },
    sigtermAtMs: 19_000,
    drainMs: 90_000,
    seed: seed % 2 ** 31,
  };
}

/** mulberry32: a small seeded generator, so a run's choices can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
