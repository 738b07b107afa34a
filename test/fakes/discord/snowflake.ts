import { randomBytes } from 'node:crypto';

const DISCORD_EPOCH = 1_420_070_400_000n;
let last = 0n;

/**
 * Real-shaped snowflakes: @discordjs/rest finds major parameters with /\d{17,19}/
 * and reads the timestamp to pick the "Delete Old Message" bucket, so ids must
 * carry a true Discord-epoch timestamp.
 */
export function snowflake(at: number = Date.now()): string {
  let id = ((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n);
  if (id <= last) id = last + 1n;
  last = id;
  return id.toString();
}

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Interaction tokens are long opaque strings; any character but '/' and '?' would do. */
export function interactionToken(): string {
  return `aW50ZXJhY3Rpb246${randomBytes(48).toString('base64url')}`;
}
