/** Slack in the platform registry: enabled by SLACK_BOT_TOKEN. */
import type { PlatformEntry } from '../platform.js';
import { createSlackClient } from './client.js';
import { SLACK_STYLE } from './command-text.js';
import { SlackAssistant } from './assistant.js';
import { startSlackGateway } from './gateway.js';
import { SlackSurface } from './surface.js';

export const slack: PlatformEntry = {
  name: 'slack',
  create(config, { log, metrics }) {
    const settings = config.slack;
    if (!settings) return undefined;
    const client = createSlackClient(settings.botToken, settings.apiUrl, log, (status) =>
      metrics?.platformRequest('slack', status),
    );
    const surface = new SlackSurface(client);
    return {
      name: 'slack',
      surface,
      commandStyle: SLACK_STYLE,
      startGateway: ({ producer, budget, conversations, settings: tenantSettings }) =>
        startSlackGateway({
          botToken: settings.botToken,
          signingSecret: settings.signingSecret,
          appToken: settings.appToken,
          apiUrl: settings.apiUrl,
          client,
          surface,
          notices: { surface, budget, log },
          assistant: new SlackAssistant({
            client,
            surface,
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
