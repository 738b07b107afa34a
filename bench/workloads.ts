/** The end-to-end workloads `npm run bench` runs, and the fixtures they share. */
import type { FakeUser } from '../test/fakes/discord/types.js';
import type { AnswerShape } from './answers.js';

export interface Workload {
  readonly name: string;
  /** `both`: the multi-tenant workload (bench/multi-tenant.ts), which runs its own processes. */
  readonly platform: 'discord' | 'slack' | 'both';
  readonly questions: number;
  /** Question i goes to channel i % channels (so each channel gets its questions in order). */
  readonly channels: number;
  /** The mentions are spread evenly over this much time. */
  readonly spreadMs: number;
  readonly shape: AnswerShape;
  /** Fake Discord with limits so loose the platform is never the bottleneck. */
  readonly relaxedRates?: boolean;
  /** From the first event; then the row reports what it has. */
  readonly timeoutMs: number;
  /** Always one process (ROLE=all), whatever `--workers` says. */
  readonly singleProcess?: boolean;
  readonly description: string;
}

const STREAM_4S: AnswerShape = { tokens: 40, chunkDelayMs: 100 };

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'discord-200x200',
    platform: 'discord',
    questions: 200,
    channels: 200,
    spreadMs: 2_000,
    shape: STREAM_4S,
    timeoutMs: 180_000,
    description:
      '200 mentions in 200 channels within 2 s; 40 tokens over 4 s each; strict fake Discord',
  },
  {
    name: 'discord-200x40',
    platform: 'discord',
    questions: 200,
    channels: 40,
    spreadMs: 2_000,
    shape: STREAM_4S,
    timeoutMs: 180_000,
    description:
      '200 mentions in 40 channels (5 each, in order, from 5 different people, as in a busy server) within 2 s; 40 tokens over 4 s; strict fake Discord',
  },
  {
    name: 'slack-30x10',
    platform: 'slack',
    questions: 30,
    channels: 10,
    spreadMs: 3_000,
    shape: STREAM_4S,
    timeoutMs: 180_000,
    description:
      "30 mentions in 10 channels of one workspace within 3 s; 40 tokens over 4 s; fake Slack's default tiers",
  },
  {
    name: 'memory-500',
    platform: 'discord',
    questions: 500,
    channels: 500,
    spreadMs: 5_000,
    shape: { tokens: 300, chunkDelayMs: 200 },
    relaxedRates: true,
    timeoutMs: 120_000,
    singleProcess: true,
    description:
      '500 mentions in 500 channels within 5 s; 300 tokens (~1.5 KB) over 60 s each; one process; fake Discord with relaxed rates',
  },
  {
    name: 'multi-tenant',
    platform: 'both',
    questions: 260,
    channels: 210,
    spreadMs: 5_000,
    shape: STREAM_4S,
    timeoutMs: 180_000,
    description:
      '10,000 Discord servers on 8 shards held by 2 gateway processes (2 workers), and 50 Slack ' +
      'workspaces installed through OAuth; 160 mentions in 160 servers and 100 in the 50 ' +
      'workspaces within 5 s (40 tokens over 4 s); then one gateway is SIGKILLed and its ' +
      'servers get 24 more mentions while its shards are dark; shard start-up and dark time reported; chutes-bot only (the naive bots serve one session and one token)',
  },
];

export const CHUTES_KEY = 'cpk_bench_key';

export const DISCORD = {
  token: 'discord.bench.token',
  applicationId: '900000000000000002',
  bot: { id: '900000000000000001', username: 'chutes-bot' },
  guild: '100000000000000001',
  /**
   * Who asks: question i comes from asker i % 100, as in a busy server (no
   * one floods). With 40 channels, a channel's five questions (i, i + 40, …)
   * come from five different people.
   */
  askers: Array.from({ length: 100 }, (_, i): FakeUser => ({
    id: `2000000000000${String(i).padStart(5, '0')}`,
    username: `member${i}`,
    globalName: `Member ${i}`,
  })),
  channel: (i: number) => `31000000000${String(i).padStart(7, '0')}`,
  /** Per-channel and global limits no answer will reach. */
  relaxedRates: {
    messagesPerChannel: { points: 1_000, windowMs: 1_000 },
    global: { points: 100_000, windowMs: 1_000 },
  },
} as const;

export const SLACK = {
  team: 'T0000000001',
  botUserId: 'U0BOT00001',
  botId: 'B0BOT00001',
  botToken: 'xoxb-bench-bot-token',
  signingSecret: 'bench-signing-secret',
  /** Who asks: question i comes from asker i % 10 (no one floods). */
  askers: Array.from({ length: 10 }, (_, i) => ({
    id: `U0ASK${String(i).padStart(5, '0')}`,
    name: `member${i}`,
    displayName: `Member ${i}`,
  })),
  channel: (i: number) => `C0BENCH${String(i).padStart(4, '0')}`,
} as const;
