/**
 * The Slack Web API client both roles use, with Slack's own retry and
 * rate-limit handling kept short: an answer that waits half an hour for a
 * retry is no answer. Its log lines go through pino (and so are scrubbed).
 */
import {
  LogLevel,
  WebClient,
  type Logger as SlackLogger,
  type WebClientOptions,
} from '@slack/web-api';
import type { Logger } from '../../log.js';

/** A 429 despite the shared budget waits out Retry-After; other failures retry briefly. */
const RETRY = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 4_000 } as const;

/**
 * @param onStatus told the HTTP status of every Web API response (429s
 *   included, before the client waits them out), for monitoring.
 */
export function createSlackClient(
  token: string,
  apiUrl: string,
  log: Logger,
  onStatus?: (status: number) => void,
): WebClient {
  return new WebClient(token, slackClientOptions(apiUrl, log, onStatus));
}

/** The options of every Web API client of the service (per-workspace clients too). */
export function slackClientOptions(
  apiUrl: string,
  log: Logger,
  onStatus?: (status: number) => void,
): WebClientOptions {
  return {
    // WebClient joins `${slackApiUrl}${method}`: the base needs its slash.
    slackApiUrl: `${apiUrl}/`,
    logger: slackLogger(log),
    retryConfig: RETRY,
    timeout: 15_000,
    ...(onStatus
      ? {
          fetch: async (...args: Parameters<typeof fetch>) => {
            const response = await fetch(...args);
            onStatus(response.status);
            return response;
          },
        }
      : {}),
  };
}

/** @slack/logger's interface on top of pino. */
export function slackLogger(log: Logger): SlackLogger {
  const child = log.child({ lib: 'slack' });
  let level = LogLevel.WARN;
  const format = (msg: unknown[]) =>
    msg.map((m) => (typeof m === 'string' ? m : String(m))).join(' ');
  return {
    debug: (...msg) => child.debug(format(msg)),
    info: (...msg) => child.info(format(msg)),
    warn: (...msg) => child.warn(format(msg)),
    error: (...msg) => child.error(format(msg)),
    setLevel: (next) => void (level = next),
    getLevel: () => level,
    setName: () => undefined,
  };
}
