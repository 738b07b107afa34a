/**
 * Sharding as Discord does it: which shard a guild belongs to, identify
 * buckets (`shard_id % max_concurrency`, one IDENTIFY per bucket per 5 s
 * across every connection of the bot), and many guilds spread over shards
 * for benchmarks.
 */
import type { GuildConfig } from './types.js';

const DISCORD_EPOCH = 1_420_070_400_000n;

/** Discord's routing: guild events go to shard `(guild_id >> 22) % num_shards`. */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/**
 * Slack between two identifies of one bucket as seen here and as the client
 * timed them: the client starts its 5 s when it sends, the fake when it reads.
 */
const GRACE_MS = 250;

/** One IDENTIFY per bucket per window; refusals are counted per bucket. */
export class IdentifyBuckets {
  /** Refused identifies by bucket (`shard_id % max_concurrency`). */
  readonly refused: Record<number, number> = {};
  private readonly last = new Map<number, number>();

  constructor(
    private readonly maxConcurrency: number,
    private readonly windowMs: number,
  ) {}

  /** True (and the bucket's slot is taken) when this shard may identify now. */
  take(shardId: number, now = Date.now()): boolean {
    const bucket = shardId % this.maxConcurrency;
    const last = this.last.get(bucket);
    if (last !== undefined && now - last < this.windowMs - Math.min(GRACE_MS, this.windowMs / 10)) {
      this.refused[bucket] = (this.refused[bucket] ?? 0) + 1;
      return false;
    }
    this.last.set(bucket, now);
    return true;
  }
}

/**
 * `count` guilds with `channelsPerGuild` text channels each (named `general`,
 * `general-2`, …), spread evenly over any shard count: guild i's id carries
 * the timestamp `start + i` ms, so `shardOf(id, n) = (start + i) % n`.
 * Ids do not collide with `snowflake()`'s (other worker bits).
 */
export function manyGuilds(
  count: number,
  opts: { channelsPerGuild?: number; namePrefix?: string; botPermissions?: string } = {},
): GuildConfig[] {
  const perGuild = opts.channelsPerGuild ?? 1;
  const start = BigInt(Date.now() - count - 60_000) - DISCORD_EPOCH;
  const guilds: GuildConfig[] = [];
  for (let i = 0; i < count; i++) {
    const base = ((start + BigInt(i)) << 22n) | (3n << 17n);
    guilds.push({
      id: base.toString(),
      name: `${opts.namePrefix ?? 'guild'}-${i}`,
      ...(opts.botPermissions ? { botPermissions: opts.botPermissions } : {}),
      channels: Array.from({ length: perGuild }, (_, j) => ({
        id: (base | BigInt(j + 1)).toString(),
        name: j === 0 ? 'general' : `general-${j + 1}`,
      })),
    });
  }
  return guilds;
}
