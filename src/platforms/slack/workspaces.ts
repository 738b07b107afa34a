/**
 * The Slack clients by workspace. Single-workspace mode (SLACK_BOT_TOKEN):
 * one client, one surface and one people cache for everyone. OAuth mode:
 * each workspace gets its own, made on first use and kept (bounded), whose
 * every call is made with that workspace's current token from the
 * installation store (tenant-client.ts); the token itself is never kept.
 */
import type { WebClient, WebClientOptions } from '@slack/web-api';
import { LRUCache } from 'lru-cache';
import type { SlackInstallations } from './installations.js';
import { SlackPeople } from './people.js';
import { SlackSurface } from './surface.js';
import { TenantWebClient } from './tenant-client.js';

export interface SlackWorkspace {
  readonly client: WebClient;
  readonly surface: SlackSurface;
  readonly people: SlackPeople;
}

export interface SlackWorkspaces {
  get(teamId: string): SlackWorkspace;
}

/** SLACK_BOT_TOKEN: every team is the one workspace. */
export function singleWorkspace(client: WebClient): SlackWorkspaces {
  const one: SlackWorkspace = {
    client,
    surface: new SlackSurface(client),
    people: new SlackPeople(client),
  };
  return { get: () => one };
}

/** Workspaces whose clients are kept at most; one made again starts with empty caches. */
const MAX_WORKSPACES = 10_000;

/** OAuth mode: a workspace's calls carry its own token, read from the store per call. */
export function installedWorkspaces(
  installations: Pick<SlackInstallations, 'botFor' | 'removeToken'>,
  clientOptions: WebClientOptions,
): SlackWorkspaces {
  const made = new LRUCache<string, SlackWorkspace>({ max: MAX_WORKSPACES });
  return {
    get(teamId) {
      let workspace = made.get(teamId);
      if (!workspace) {
        const client = new TenantWebClient(
          teamId,
          async () => (await installations.botFor(teamId))?.token,
          clientOptions,
          async (token) => void (await installations.removeToken(teamId, token)),
        );
        workspace = {
          client,
          surface: new SlackSurface(client),
          people: new SlackPeople(client),
        };
        made.set(teamId, workspace);
      }
      return workspace;
    },
  };
}
