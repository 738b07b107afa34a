/**
 * The Lua scripts of the coordination kept on Redis (the rate budget, the
 * conversations' lines, the gateway's shard leases), each in `lua/<name>.lua` with its KEYS and ARGV
 * documented at its top. Every connection gets them once, as ioredis
 * commands: a call sends the script's SHA1 (EVALSHA), not the script.
 * ioredis sends the whole script once per socket, and again when Redis
 * answers NOSCRIPT (it restarted, or its script cache was flushed).
 *
 * tsc does not copy the .lua files: `npm run build` does, so they sit next to
 * this module in src/ (tsx, vitest) and in dist/ alike.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const SCRIPTS = [
  'budget-take',
  'budget-settle',
  'budget-would-wait',
  'conversation-register',
  'conversation-take-turn',
  'conversation-remove',
  'shard-tick',
  'shard-release',
  'shard-claim',
] as const;

export type ScriptName = (typeof SCRIPTS)[number];

/** The scripts' file names under `lua/`, for the test that checks them and their copy in dist/. */
export const SCRIPT_FILES: readonly string[] = SCRIPTS.map((name) => `${name}.lua`);

// Namespaced: BullMQ defines its own scripts on the connections it shares with us.
const commandName = (name: ScriptName) => `chutes-bot:${name}`;

type ScriptCommand = (this: Redis, numKeys: number, ...keysAndArgs: string[]) => Promise<unknown>;

let sources: ReadonlyMap<ScriptName, string> | undefined;

/** Read once per process, on first use: a missing file stops start-up, not a later call. */
function sourcesOf(): ReadonlyMap<ScriptName, string> {
  sources ??= new Map(
    SCRIPTS.map((name) => [
      name,
      readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8'),
    ]),
  );
  return sources;
}

/** The scripts on one connection, defined there on first use of the connection. */
export class RedisScripts {
  constructor(private readonly redis: Redis) {
    for (const [name, lua] of sourcesOf()) {
      if (!(commandName(name) in redis)) redis.defineCommand(commandName(name), { lua });
    }
  }

  /** Runs a script with these KEYS and ARGV. */
  run(
    name: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[] = [],
  ): Promise<unknown> {
    const command = (this.redis as unknown as Record<string, ScriptCommand>)[commandName(name)]!;
    return command.call(this.redis, keys.length, ...keys, ...args.map(String));
  }
}
