/** Discord in the platform registry: enabled by DISCORD_TOKEN and DISCORD_APPLICATION_ID. */
import { RESTEvents } from '@discordjs/rest';
import { hostname } from 'node:os';
import { take } from '../../core/rate-budget.js';
import { budgetBuckets } from '../../core/budget-buckets.js';
import type { PlatformEntry } from '../platform.js';
import { DISCORD_STYLE, registerDiscordCommands } from './commands.js';
import { discordRegistrationError, discordTokenError } from './credentials.js';
import { startDiscordGateway } from './gateway.js';
import { createDiscordRest, DiscordSurface } from './surface.js';

export const discord: PlatformEntry = {
  name: 'discord',
  create(config, { log, learning, metrics }) {
    const settings = config.discord;
    if (!settings) return undefined;
    const rest = createDiscordRest(settings.token, settings.apiUrl);
    if (metrics)
      rest.on(RESTEvents.Response, (_, response) =>
        metrics.platformRequest('discord', response.status),
      );
    const surface = new DiscordSurface(rest, learning);
    return {
      name: 'discord',
      surface,
      commandStyle: DISCORD_STYLE,
      async startGateway({ producer, models, budget, settings: tenantSettings, shards }) {
        // Registration and gateway discovery count against the bot's global limit too.
        const global = budgetBuckets(surface, 'other', { channelId: '', tenantId: '' });
        const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
        // Registration and the gateway login go at once (a start is that much
        // quicker); a registration that fails still ends the start with its own
        // message, as when it went first.
        const registering = (async () => {
          await take(budget, global, sleep, 'first');
          const count = await registerDiscordCommands(rest, settings.applicationId).catch(
            (error: unknown) => {
              throw discordRegistrationError(error, settings.applicationId) ?? error;
            },
          );
          log.info({ count }, 'Discord slash commands registered');
        })();
        const connecting = (async () => {
          return startDiscordGateway({
            token: settings.token,
            apiUrl: settings.apiUrl,
            applicationId: settings.applicationId,
            shards: settings.shards,
            coordination: shards,
            spend: () => take(budget, global, sleep, 'first'),
            leaseTickMs: config.shardTickMs,
            // A fixed port makes this process's place unique on its host: a
            // restart there takes its shards back at once (PORT=0: a random id).
            ...(config.port > 0 ? { owner: `${hostname()}:${config.port}` } : {}),
            onShardsHeld: (count) => metrics?.gatewayShards?.('discord', count),
            producer,
            models,
            log,
            notices: { surface, budget, log },
            messageContent: settings.messageContent,
            settings: tenantSettings,
          }).catch((error: unknown) => {
            throw discordTokenError(error) ?? error;
          });
        })();
        const [registered, connected] = await Promise.allSettled([registering, connecting]);
        if (registered.status === 'rejected') {
          if (connected.status === 'fulfilled') await connected.value.close();
          throw registered.reason;
        }
        if (connected.status === 'rejected') throw connected.reason;
        const gateway = connected.value;
        return { close: () => gateway.close() };
      },
    };
  },
};
