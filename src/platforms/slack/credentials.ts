/**
 * Slack's refusals of the service's credentials, as the one line an operator
 * needs: which variable is wrong and where in the app's settings
 * (api.slack.com/apps) to find the right one.
 */
import type { Logger as SlackLogger } from '@slack/web-api';
import { CredentialError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { slackErrorCode } from './errors.js';

/** auth.test's answers that mean the token itself is wrong, revoked or its workspace gone. */
const REFUSED_TOKEN = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);

/** A refused SLACK_BOT_TOKEN (auth.test at start). */
export function slackBotTokenError(error: unknown): CredentialError | undefined {
  const code = slackErrorCode(error);
  if (!code || !REFUSED_TOKEN.has(code)) return undefined;
  return new CredentialError(
    'SLACK_BOT_TOKEN',
    `SLACK_BOT_TOKEN was refused by Slack (${code}): set it to the app's Bot User OAuth Token ` +
      '(xoxb-…, OAuth & Permissions; reinstall the app to the workspace if it is missing)',
    { cause: error },
  );
}

/** A refused SLACK_APP_TOKEN (apps.connections.open, socket mode). */
export function slackAppTokenError(error: unknown): CredentialError | undefined {
  const code = slackErrorCode(error);
  if (!code || code === 'ratelimited') return undefined;
  return new CredentialError(
    'SLACK_APP_TOKEN',
    `SLACK_APP_TOKEN was refused by Slack (${code}): set it to an app-level token (xapp-…) ` +
      'with the connections:write scope (Basic Information → App-Level Tokens), and turn Socket Mode on',
    { cause: error },
  );
}

/** What bolt's HTTPReceiver logs, per request, when a request fails its signature check. */
const VERIFY_FAILED = 'Failed to parse and verify the request data:';

export const SIGNATURE_FAILED =
  'a request to /slack/events failed its signature check: check SLACK_SIGNING_SECRET ' +
  '(Basic Information → App Credentials → Signing Secret)';

/**
 * The receiver's logger, with bolt's line per badly signed request replaced
 * by one line naming SLACK_SIGNING_SECRET at most every `intervalMs`, with
 * how many requests failed since the last one (`failed`) and the last reason.
 */
export function reportingSignatureFailures(
  logger: SlackLogger,
  log: Logger,
  intervalMs = 60_000,
  now: () => number = Date.now,
): SlackLogger {
  let failed = 0;
  let lastAt: number | undefined;
  return {
    ...logger,
    warn: (...msg: unknown[]) => {
      const text = msg.map(String).join(' ');
      if (!text.startsWith(VERIFY_FAILED)) return logger.warn(...msg);
      failed += 1;
      if (lastAt !== undefined && now() - lastAt < intervalMs) return;
      log.warn({ failed, reason: text.slice(VERIFY_FAILED.length).trim() }, SIGNATURE_FAILED);
      failed = 0;
      lastAt = now();
    },
  };
}
