/**
 * Every platform the service knows. The service iterates this list: each
 * entry enabled by the configuration gets its surface (workers) and its
 * gateway (gateway role). A new platform is a folder plus one line here.
 */
import { discord } from './discord/index.js';
import type { PlatformEntry } from './platform.js';
import { slack } from './slack/index.js';

export const PLATFORMS: readonly PlatformEntry[] = [discord, slack];
