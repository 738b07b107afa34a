/**
 * `npm run register-commands`: overwrites the bot's global slash commands
 * with this version's, without starting the service (it also happens at start).
 */
import { ConfigError, loadConfig } from './config.js';
import { registerDiscordCommands } from './platforms/discord/commands.js';
import { createDiscordRest } from './platforms/discord/surface.js';

try {
  const config = loadConfig();
  if (!config.discord) {
    console.error('Set DISCORD_TOKEN and DISCORD_APPLICATION_ID to register Discord commands.');
    process.exit(1);
  }
  const rest = createDiscordRest(config.discord.token, config.discord.apiUrl);
  const count = await registerDiscordCommands(rest, config.discord.applicationId);
  console.log(`Registered ${count} Discord slash commands.`);
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `Could not register commands: ${String(error)}`,
  );
  process.exit(1);
}
