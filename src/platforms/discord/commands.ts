/**
 * The slash commands, as Discord wants them: /imagine, /settings (show, set,
 * reset), /forget and /usage. The /settings set options are generated from the core's
 * setting specs, so a new setting needs no change here.
 */
import type { REST } from '@discordjs/rest';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionContextType,
  Routes,
  type APIApplicationCommandBasicOption,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord-api-types/v10';
import { IMAGE_SIZES, MAX_PROMPT_CHARS } from '../../core/imagine-job.js';
import {
  SETTING_KEYS,
  SETTING_SPECS,
  type SettingKey,
  type SettingSpec,
} from '../../core/settings.js';

const CONTEXTS = [InteractionContextType.Guild, InteractionContextType.BotDM];

function settingOption(key: SettingKey): APIApplicationCommandBasicOption {
  const spec: SettingSpec = SETTING_SPECS[key];
  const base = { name: key, description: spec.description, required: false };
  switch (spec.kind) {
    case 'model':
      // Only chat models are in Chutes' model list; image models are typed by hand.
      return {
        ...base,
        type: ApplicationCommandOptionType.String,
        max_length: spec.maxLength,
        autocomplete: spec.catalog === 'chat',
      };
    case 'text':
      return { ...base, type: ApplicationCommandOptionType.String, max_length: spec.maxLength };
    case 'number':
      // Discord cannot express an exclusive minimum: the service's own check is the guard.
      return {
        ...base,
        type: ApplicationCommandOptionType.Number,
        min_value: spec.min,
        max_value: spec.max,
      };
    case 'integer':
      return {
        ...base,
        type: ApplicationCommandOptionType.Integer,
        min_value: spec.off !== undefined ? Math.min(spec.off, spec.min) : spec.min,
        max_value: spec.max,
      };
    case 'boolean':
      return { ...base, type: ApplicationCommandOptionType.Boolean };
  }
}

export function discordCommands(): RESTPutAPIApplicationCommandsJSONBody {
  return [
    {
      type: ApplicationCommandType.ChatInput,
      name: 'imagine',
      description: 'Generate an image with a Chutes image model',
      contexts: CONTEXTS,
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'prompt',
          description: 'What to draw',
          required: true,
          max_length: MAX_PROMPT_CHARS,
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'size',
          description: 'Width x height in pixels (default 1024x1024)',
          choices: IMAGE_SIZES.map((size) => ({ name: size, value: size })),
        },
        {
          type: ApplicationCommandOptionType.String,
          name: 'negative_prompt',
          description: 'What the image should not contain',
          max_length: MAX_PROMPT_CHARS,
        },
        {
          type: ApplicationCommandOptionType.Integer,
          name: 'seed',
          description: 'Same seed and prompt give the same image',
          min_value: 0,
          max_value: 4_294_967_295,
        },
      ],
    },
    {
      type: ApplicationCommandType.ChatInput,
      name: 'settings',
      description: "This server's model and generation settings",
      contexts: CONTEXTS,
      options: [
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: 'show',
          description: 'Show the settings in force',
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: 'set',
          description: 'Change one or more settings (Manage Server)',
          options: SETTING_KEYS.map(settingOption),
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: 'reset',
          description: 'Go back to the defaults (Manage Server)',
        },
      ],
    },
    {
      type: ApplicationCommandType.ChatInput,
      name: 'forget',
      description: "Clear the bot's stored history of this channel or thread",
      contexts: CONTEXTS,
    },
    {
      type: ApplicationCommandType.ChatInput,
      name: 'usage',
      // Offered to everyone, like /settings set: server admins can override
      // default_member_permissions per role, so the worker's check is the one that counts.
      description: "This server's answers, tokens and images for 1, 7 and 30 days (Manage Server)",
      contexts: CONTEXTS,
    },
  ];
}

/** Bulk overwrite of the global commands: what is not listed here is removed. */
export async function registerDiscordCommands(rest: REST, applicationId: string): Promise<number> {
  const body = discordCommands();
  await rest.put(Routes.applicationCommands(applicationId), { body });
  return body.length;
}
