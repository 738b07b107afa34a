/**
 * OAuth mode's install flow (Slack's OAuth v2, through @slack/oauth's
 * InstallProvider): `/slack/install` shows the "Add to Slack" page and sets
 * the state cookie; Slack sends the installer back to
 * `PUBLIC_URL/slack/oauth_redirect`, where the state is checked, the code
 * exchanged (oauth.v2.access) and the installation stored, sealed
 * (installations.ts). The authorize URL follows SLACK_API_URL like every
 * other Slack call: `https://slack.com/api` → `https://slack.com/oauth/v2/authorize`.
 * Token refreshes go through the same client credentials (`refresher`).
 */
import {
  defaultCallbackFailure,
  defaultCallbackSuccess,
  InstallProvider,
  type InstallURLOptions,
} from '@slack/oauth';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { RequestListener } from 'node:http';
import type { SlackOAuthConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import { slackLogger } from './client.js';
import { SLACK_INSTALL_PATH, SLACK_REDIRECT_PATH } from './events-path.js';
import type { RefreshToken, SlackInstallations } from './installations.js';

export { SLACK_INSTALL_PATH, SLACK_REDIRECT_PATH };

/** The bot scopes the app asks for: manifest.json's `oauth_config.scopes.bot` (a unit test compares). */
export const SLACK_BOT_SCOPES = [
  'app_mentions:read',
  'assistant:write',
  'channels:history',
  'chat:write',
  'commands',
  'files:read',
  'files:write',
  'groups:history',
  'im:history',
  'mpim:history',
  'users:read',
] as const;

/** `https://slack.com/api` → `https://slack.com/oauth/v2/authorize`. */
export function authorizeUrl(apiUrl: string): string {
  return `${apiUrl.replace(/\/api$/, '')}/oauth/v2/authorize`;
}

export interface SlackOAuthOptions {
  readonly oauth: SlackOAuthConfig;
  /** Slack Web API base, without the trailing slash. */
  readonly apiUrl: string;
  readonly clientOptions: WebClientOptions;
  readonly installations: SlackInstallations;
  readonly log: Logger;
}

/** The two routes of the install flow, for the service's HTTP server. */
export function slackOAuthRoutes(options: SlackOAuthOptions): Record<string, RequestListener> {
  const { oauth, log } = options;
  const provider = new InstallProvider({
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    stateSecret: oauth.stateSecret,
    installationStore: options.installations,
    authorizationUrl: authorizeUrl(options.apiUrl),
    logger: slackLogger(log),
    clientOptions: options.clientOptions,
  });
  const installOptions: InstallURLOptions = {
    scopes: [...SLACK_BOT_SCOPES],
    redirectUri: `${oauth.publicUrl}${SLACK_REDIRECT_PATH}`,
  };
  const failed = (error: unknown) => log.warn({ err: error }, 'a Slack install failed');
  return {
    [SLACK_INSTALL_PATH]: (req, res) => {
      provider.handleInstallPath(req, res, undefined, installOptions).catch((error: unknown) => {
        failed(error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
    [SLACK_REDIRECT_PATH]: (req, res) => {
      provider
        .handleCallback(
          req,
          res,
          {
            success: (installation, used, request, response) => {
              log.info(
                {
                  teamId: installation.team?.id,
                  enterpriseId: installation.enterprise?.id,
                  orgWide: installation.isEnterpriseInstall === true,
                  rotating: installation.bot?.refreshToken !== undefined,
                },
                'Slack app installed',
              );
              defaultCallbackSuccess(installation, used, request, response);
            },
            failure: (error, used, request, response) => {
              // Only the code: the reason is for the installer, who sees it on the page.
              log.warn({ code: error.code }, 'a Slack install failed');
              defaultCallbackFailure(error, used, request, response);
            },
          },
          installOptions,
        )
        .catch((error: unknown) => {
          failed(error);
          if (!res.headersSent) res.writeHead(500).end();
        });
    },
  };
}

/** oauth.v2.access with `grant_type=refresh_token`, with the app's client credentials. */
export function refresher(oauth: SlackOAuthConfig, clientOptions: WebClientOptions): RefreshToken {
  const client = new WebClient(undefined, clientOptions);
  return async (refreshToken) => {
    const result = await client.oauth.v2.access({
      client_id: oauth.clientId,
      client_secret: oauth.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    if (!result.access_token || !result.refresh_token || result.expires_in === undefined)
      throw new Error('Slack answered a token refresh without a new token');
    return {
      accessToken: result.access_token,
      refreshToken: result.refresh_token,
      expiresInSeconds: result.expires_in,
    };
  };
}
