/**
 * Slash commands on the gateway: acknowledged (deferred) at once, well inside
 * Discord's 3 seconds, then handed to the workers as CommandJobs. Autocomplete
 * is answered here directly, from the cached Chutes model list.
 */
import {
  ApplicationCommandOptionType,
  MessageFlags,
  type AutocompleteInteraction,
  type Channel,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import type { ModelInfo } from '../../chutes/model-info.js';
import { isGroup, type Action } from '../../core/commands/definition.js';
import { commandFor, commandNamed } from '../../core/commands/index.js';
import type { CommandName } from '../../core/commands/index.js';
import { encodeConversationKey } from '../../core/conversation-key.js';
import { modelCompletions, type ModelChoice } from '../../core/model-choices.js';
import { resolveSettingKey, SETTING_SPECS } from '../../core/settings/index.js';
import type { CommandJob } from '../../core/jobs.js';
import { COMMAND_NOT_QUEUED } from '../../core/user-messages.js';
import type { Logger } from '../../log.js';
import type { JobSink, ModelSuggestions } from '../platform.js';
import { isDiscordAdmin } from './admin.js';
import { onButtonPress } from './button-press.js';
import { encodeDiscordInteraction } from './interaction-ref.js';

/** Autocomplete must answer within 3 s; a slow model list answers with nothing. */
const AUTOCOMPLETE_BUDGET_MS = 2_000;
/** Discord shows at most 25 choices. */
const MAX_CHOICES = 25;

/** The command a slash command runs (with its subcommand), as its definition names it. */
export function invokedAction(
  interaction: ChatInputCommandInteraction,
): { readonly name: CommandName; readonly action: Action } | undefined {
  const command = commandNamed(interaction.commandName);
  if (!command) return undefined;
  const sub = isGroup(command) ? interaction.options.getSubcommand(false) : undefined;
  const jobName = sub ? `${command.name}.${sub}` : command.name;
  const found = commandFor(jobName);
  return found ? { name: jobName as CommandName, action: found.action } : undefined;
}

/**
 * The options the user gave (of the subcommand, for /settings), as plain
 * values; a channel as its mention, `<#id>`, the form the core reads channels in.
 */
export function commandOptions(
  interaction: ChatInputCommandInteraction,
): Record<string, string | number | boolean> {
  const top = interaction.options.data;
  const options = top.length === 1 && top[0]!.options ? top[0]!.options : top;
  const values: Record<string, string | number | boolean> = {};
  for (const option of options) {
    if (option.value === undefined || option.value === null) continue;
    values[option.name] =
      option.type === ApplicationCommandOptionType.Channel ? `<#${option.value}>` : option.value;
  }
  return values;
}

/** The channel a thread is in, for the settings of that channel; undefined elsewhere. */
export function parentOfThread(channel: Channel | null | undefined): string | undefined {
  return channel?.isThread() ? (channel.parentId ?? undefined) : undefined;
}

/** Which models an option names (a setting's `catalog`), for its autocomplete; else undefined. */
function modelCatalogOf(option: string) {
  const key = resolveSettingKey(option);
  const spec = key === undefined ? undefined : SETTING_SPECS[key];
  const catalog = spec && 'catalog' in spec ? spec.catalog : undefined;
  return catalog === 'chat-models' || catalog === 'chat-model-list' ? catalog : undefined;
}

export function createInteractionHandler(options: {
  readonly producer: JobSink;
  readonly models: ModelSuggestions;
  readonly log: Logger;
}): (interaction: Interaction) => Promise<void> {
  const { producer, models, log } = options;

  async function autocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const focused = interaction.options.getFocused(true);
    let choices: ModelChoice[] = [];
    const kind = modelCatalogOf(focused.name);
    if (kind) {
      const list = await Promise.race([
        models.modelInfos().catch(() => [] as readonly ModelInfo[]),
        new Promise<readonly ModelInfo[]>((resolve) =>
          setTimeout(() => resolve([]), AUTOCOMPLETE_BUDGET_MS),
        ),
      ]);
      // Each choice shows the model's price and whether it takes images.
      choices = modelCompletions(list, String(focused.value), kind, MAX_CHOICES);
    }
    await interaction.respond(choices);
  }

  async function command(interaction: ChatInputCommandInteraction): Promise<void> {
    const found = invokedAction(interaction);
    if (!found) return;
    const { name, action } = found;
    await interaction.deferReply(action.private ? { flags: MessageFlags.Ephemeral } : {});
    const job: CommandJob = {
      v: 1,
      platform: 'discord',
      tenantId: interaction.guildId ?? `dm:${interaction.user.id}`,
      channelId: interaction.channelId,
      ...withParent(parentOfThread(interaction.channel)),
      // In a thread, its channel id: /forget there clears the thread.
      conversationKey: encodeConversationKey({ channelId: interaction.channelId }),
      interaction: encodeDiscordInteraction({
        applicationId: interaction.applicationId,
        token: interaction.token,
      }),
      actor: {
        id: interaction.user.id,
        name: interaction.user.displayName || interaction.user.username,
        isAdmin: isDiscordAdmin(interaction),
      },
      command: name,
      options: commandOptions(interaction),
      ...(interaction.attachmentSizeLimit
        ? { uploadLimitBytes: interaction.attachmentSizeLimit }
        : {}),
      receivedAt: interaction.createdAt.toISOString(),
    };
    try {
      const result = await producer.enqueueCommand(job, interaction.id);
      log.info(
        { ...result, platform: job.platform, tenantId: job.tenantId, command: name },
        'Discord command queued',
      );
    } catch (error) {
      log.error({ err: error, command: name }, 'could not enqueue a Discord command');
      await interaction.editReply(COMMAND_NOT_QUEUED).catch(() => undefined);
    }
  }

  return async (interaction) => {
    if (interaction.isAutocomplete()) await autocomplete(interaction);
    else if (interaction.isChatInputCommand()) await command(interaction);
    else if (interaction.isButton()) await onButtonPress(interaction, producer, log);
  };
}

/** A job's `parentChannelId`, when there is one. */
export function withParent(parentChannelId: string | undefined): { parentChannelId?: string } {
  return parentChannelId ? { parentChannelId } : {};
}
