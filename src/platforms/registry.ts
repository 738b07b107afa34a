/**
 * Every platform the service knows. The service iterates this list: each
 * entry enabled by the configuration gets its surface (workers) and its
 * gateway (gateway role). A new platform is a folder plus one line here.
 *
 * A platform's modules (discord.js, Bolt) are loaded only when the
 * configuration enables it: they are a large part of what start-up loads.
 */
import type { Config } from '../config.js';
import type { PlatformEntry } from './platform.js';

interface RegisteredPlatform {
  readonly name: string;
  readonly configured: (config: Config) => boolean;
  readonly load: () => Promise<PlatformEntry>;
}

const REGISTERED: readonly RegisteredPlatform[] = [
  {
    name: 'discord',
    configured: (config) => config.discord !== undefined,
    load: async () => (await import('./discord/index.js')).discord,
  },
  {
    name: 'slack',
    configured: (config) => config.slack !== undefined,
    load: async () => (await import('./slack/index.js')).slack,
  },
];

/** The names of every platform the service knows, configured or not. */
export const PLATFORM_NAMES: readonly string[] = REGISTERED.map((entry) => entry.name);

/** The entries of the platforms the configuration enables, loaded. */
export function loadPlatforms(config: Config): Promise<PlatformEntry[]> {
  return Promise.all(
    REGISTERED.filter((entry) => entry.configured(config)).map((entry) => entry.load()),
  );
}
