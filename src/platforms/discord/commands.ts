/**
 * The slash commands, as Discord wants them, derived from the core's
 * definitions (core/commands/): a new command or option needs no change here.
 */
import type { REST } from '@discordjs/rest';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  InteractionContextType,
  Routes,
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandOption,
  type APIApplicationCommandSubcommandOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type RESTPutAPIApplicationCommandsJSONBody,
} from 'discord-api-types/v10';
import {
  describeFor,
  isGroup,
  type Action,
  type CommandDefinition,
  type CommandStyle,
} from '../../core/commands/definition.js';
import { COMMAND_LIST } from '../../core/commands/index.js';
import type { OptionSpec } from '../../core/commands/options.js';

/** How Discord offers commands: options picked one by one; its words for tenants and admins. */
export const DISCORD_STYLE: CommandStyle = {
  form: 'options',
  words: { tenant: 'server', here: 'this channel or thread', admins: 'Manage Server' },
};

const CONTEXTS = [InteractionContextType.Guild, InteractionContextType.BotDM];

/**
 * Every command is offered to everyone, admin-only ones too: server admins can
 * override `default_member_permissions` per role, so the worker's check of the
 * precondition is the one that counts.
 */
export function discordCommands(
  commands: readonly CommandDefinition[] = COMMAND_LIST,
): RESTPutAPIApplicationCommandsJSONBody {
  return commands.map((command): RESTPostAPIChatInputApplicationCommandsJSONBody => ({
    type: ApplicationCommandType.ChatInput,
    name: command.name,
    description: describeFor(command, DISCORD_STYLE.words),
    contexts: CONTEXTS,
    ...withOptions<APIApplicationCommandOption>(
      isGroup(command) ? command.subcommands.map(subcommand) : optionsOf(command).map(option),
    ),
  }));
}

function subcommand(action: Action): APIApplicationCommandSubcommandOption {
  return {
    type: ApplicationCommandOptionType.Subcommand,
    name: action.name,
    description: describeFor(action, DISCORD_STYLE.words),
    ...withOptions(optionsOf(action).map(option)),
  };
}

function option(spec: OptionSpec): APIApplicationCommandBasicOption {
  const base = {
    name: spec.name,
    description: spec.description,
    ...(spec.required ? { required: true } : {}),
  };
  // Discord checks these limits as people type; the worker checks them again (a job is untrusted).
  switch (spec.type) {
    case 'string':
      return {
        type: ApplicationCommandOptionType.String,
        ...base,
        max_length: spec.maxLength,
        ...(spec.catalog ? { autocomplete: true } : {}),
      };
    case 'choice':
      return {
        type: ApplicationCommandOptionType.String,
        ...base,
        choices: spec.choices.map((choice) => ({ name: choice, value: choice })),
      };
    case 'integer':
      return {
        type: ApplicationCommandOptionType.Integer,
        ...base,
        min_value: spec.off !== undefined ? Math.min(spec.off, spec.min) : spec.min,
        max_value: spec.max,
      };
    case 'number':
      // Discord cannot express an exclusive minimum: the service's own check is the guard.
      return {
        type: ApplicationCommandOptionType.Number,
        ...base,
        min_value: spec.min,
        max_value: spec.max,
      };
    case 'boolean':
      return { type: ApplicationCommandOptionType.Boolean, ...base };
    case 'channel':
      // Channels that hold conversations; a thread (or forum post) has its channel's settings.
      return {
        type: ApplicationCommandOptionType.Channel,
        ...base,
        channel_types: [
          ChannelType.GuildText,
          ChannelType.GuildAnnouncement,
          ChannelType.GuildForum,
        ],
      };
  }
}

function optionsOf(action: Action): readonly OptionSpec[] {
  return action.options ?? [];
}

/** Discord wants no `options` key rather than an empty list. */
function withOptions<T>(options: readonly T[]): { options?: T[] } {
  return options.length > 0 ? { options: [...options] } : {};
}

/** Bulk overwrite of the global commands: what is not listed here is removed. */
export async function registerDiscordCommands(rest: REST, applicationId: string): Promise<number> {
  const body = discordCommands();
  await rest.put(Routes.applicationCommands(applicationId), { body });
  return body.length;
}
