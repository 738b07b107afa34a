/**
 * What the record that ends start-up ("chutes-bot is up") says, besides its
 * port and role: which platforms run, the addresses Slack and Discord need,
 * where the data lives, the operator's URLs and how long start-up took.
 * It never holds a secret: store URLs keep only their scheme, host, port
 * and database, never a user, password or parameter.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import type { Config } from './config.js';
import { SLACK_EVENTS_PATH, SLACK_INSTALL_PATH } from './platforms/slack/events-path.js';

/**
 * The bot permissions of the Discord invite (README, "Quick start: Discord"):
 * View Channels, Send Messages, Send Messages in Threads, Create Public
 * Threads (reply_in_thread), Read Message History, Embed Links, Attach Files
 * and Add Reactions.
 */
export const DISCORD_PERMISSIONS = '309237763136';

export interface StartupSummary {
  /** Seconds from the process's start to this record. */
  readonly startSeconds: number;
  /** The platforms this process serves, as a person reads them. */
  readonly platforms: string;
  /** Slack over HTTP, where a gateway runs: where this process takes Slack's requests. */
  readonly slackRequestUrl?: string;
  readonly slackRequestUrlHint?: string;
  /** Slack in OAuth mode: where a workspace installs the app ("Add to Slack"). */
  readonly slackInstallUrl?: string;
  readonly discordInvite?: string;
  /** Where conversations, settings and usage live. */
  readonly data: string;
  /** Where the job queue lives. */
  readonly queue: string;
  /** DATA_DIR, absolute: the embedded PostgreSQL, and jobs a gateway keeps while the queue is away. */
  readonly dataDir: string;
  readonly dashboard?: string;
  readonly metrics: string;
  readonly health: string;
}

export interface SummaryInputs {
  readonly port: number;
  /** Seconds since the process started (process.uptime()). */
  readonly uptimeSeconds: number;
  /** Where the queue dashboard is served, when it is. */
  readonly dashboardPath?: string;
  readonly metricsPath: string;
  readonly healthPath: string;
  /** The host name the local URLs are given with. */
  readonly host?: string;
}

export function startupSummary(config: Config, inputs: SummaryInputs): StartupSummary {
  const base = `http://${inputs.host ?? hostname()}:${inputs.port}`;
  const slackMode = config.slack?.appToken ? 'Socket Mode' : 'events over HTTP';
  const platforms = [
    config.discord ? 'Discord' : undefined,
    config.slack
      ? `Slack (${slackMode}${config.slack.oauth ? ', any workspace that installs the app' : ''})`
      : undefined,
  ].filter(Boolean);
  const receivesSlack = config.slack && !config.slack.appToken && config.role !== 'worker';
  const dataDir = path.resolve(config.dataDir);
  return {
    startSeconds: Math.round(inputs.uptimeSeconds * 100) / 100,
    platforms: platforms.join(', '),
    ...(receivesSlack
      ? {
          slackRequestUrl: `${base}${SLACK_EVENTS_PATH}`,
          slackRequestUrlHint: `Slack needs the public HTTPS address of this URL (a reverse proxy or tunnel to port ${inputs.port}, path ${SLACK_EVENTS_PATH}) as the app's Request URL; or set SLACK_APP_TOKEN for Socket Mode`,
        }
      : {}),
    ...(config.slack?.oauth && config.role !== 'worker'
      ? { slackInstallUrl: `${config.slack.oauth.publicUrl}${SLACK_INSTALL_PATH}` }
      : {}),
    ...(config.discord
      ? {
          discordInvite: `https://discord.com/oauth2/authorize?client_id=${encodeURIComponent(config.discord.applicationId)}&scope=bot%20applications.commands&permissions=${DISCORD_PERMISSIONS}`,
        }
      : {}),
    data: config.databaseUrl
      ? `PostgreSQL at ${withoutCredentials(config.databaseUrl)}`
      : `embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`,
    queue: config.redisUrl
      ? `Redis at ${withoutCredentials(config.redisUrl)}`
      : 'PostgreSQL (the same database)',
    dataDir,
    ...(inputs.dashboardPath ? { dashboard: `${base}${inputs.dashboardPath}` } : {}),
    metrics: `${base}${inputs.metricsPath}`,
    health: `${base}${inputs.healthPath}`,
  };
}

/** `scheme://host:port/path` of a store URL: no user, password or parameters. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(an address that is not a URL)';
  }
}
