/** Discord in the platform registry: enabled by DISCORD_TOKEN and DISCORD_APPLICATION_ID. */
import type { PlatformEntry } from '../platform.js';
import { registerDiscordCommands } from './commands.js';
import { startDiscordGateway } from './gateway.js';
import { createDiscordRest, DiscordSurface } from './surface.js';

export const discord: PlatformEntry = {
  name: 'discord',
  create(config, { log, learning }) {
    const settings = config.discord;
    if (!settings) return undefined;
    const rest = createDiscordRest(settings.token, settings.apiUrl);
    return {
      name: 'discord',
      surface: new DiscordSurface(rest, learning),
      async startGateway({ producer, models }) {
        const count = await registerDiscordCommands(rest, settings.applicationId);
        log.info({ count }, 'Discord slash commands registered');
        const client = await startDiscordGateway({
          token: settings.token,
          apiUrl: settings.apiUrl,
          producer,
          models,
          log,
        });
        return { close: () => client.destroy() };
      },
    };
  },
};
