/**
 * Slack in the platform registry: one workspace with SLACK_BOT_TOKEN, or any
 * number installed through OAuth with SLACK_CLIENT_ID (installations in
 * Postgres, each workspace's calls with its own token).
 */
import { WebClient } from '@slack/web-api';
import type { PlatformEntry } from '../platform.js';
import { createSlackClient, slackClientOptions } from './client.js';
import { SLACK_STYLE } from './command-text.js';
import { SlackAssistant } from './assistant.js';
import { startSlackGateway } from './gateway.js';
import { SlackInstallations } from './installations.js';
import { refresher, slackOAuthRoutes } from './oauth.js';
import { SLACK_LIMITS, SlackSurface } from './surface.js';
import { TokenCipher } from './token-cipher.js';
import { installedWorkspaces, singleWorkspace, type SlackWorkspaces } from './workspaces.js';

export const slack: PlatformEntry = {
  name: 'slack',
  create(config, { log, metrics, db }) {
    const settings = config.slack;
    if (!settings) return undefined;
    const onStatus = (status: number) => metrics?.platformRequest('slack', status);
    const clientOptions = slackClientOptions(settings.apiUrl, log, onStatus);
    let client: WebClient;
    let workspaces: SlackWorkspaces;
    let installations: SlackInstallations | undefined;
    if (settings.oauth) {
      if (!db) throw new Error('Slack in OAuth mode keeps its installations in the database');
      installations = new SlackInstallations(
        db,
        new TokenCipher(settings.oauth.encryptionKey),
        refresher(settings.oauth, clientOptions),
      );
      // No token of its own: the app token's check at start is all it makes.
      client = new WebClient(undefined, clientOptions);
      workspaces = installedWorkspaces(installations, clientOptions);
    } else {
      client = createSlackClient(settings.botToken!, settings.apiUrl, log, onStatus);
      workspaces = singleWorkspace(client);
    }
    // What is platform-wide (limits, how mentions are muted) is the same for every workspace.
    const surface = settings.oauth ? new SlackSurface(client) : workspaces.get('').surface;
    return {
      name: 'slack',
      surface,
      surfaceFor: (tenantId) => workspaces.get(tenantId).surface,
      commandStyle: SLACK_STYLE,
      startGateway: ({ producer, budget, conversations, settings: tenantSettings }) =>
        startSlackGateway({
          botToken: settings.botToken,
          signingSecret: settings.signingSecret,
          appToken: settings.appToken,
          apiUrl: settings.apiUrl,
          client,
          workspaces,
          oauth:
            installations && settings.oauth
              ? {
                  installations,
                  routes: slackOAuthRoutes({
                    oauth: settings.oauth,
                    apiUrl: settings.apiUrl,
                    clientOptions,
                    installations,
                    log,
                  }),
                }
              : undefined,
          notices: { budget, log },
          assistant: new SlackAssistant({
            client: (teamId) => workspaces.get(teamId).client,
            surface: { platform: 'slack', limits: SLACK_LIMITS },
            budget,
            settings: tenantSettings,
            log,
          }),
          producer,
          conversations,
          log,
        }),
    };
  },
};
