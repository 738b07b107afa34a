/**
 * /settings: show (anyone), set and reset (admins) this tenant's model and
 * generation settings, for the whole tenant or for one channel. A channel's
 * value wins there over the tenant's, and a thread has its channel's.
 */
import type { CommandCall, CommandDeps } from './definition.js';
import { settingsChannel, type CommandJob } from '../jobs.js';
import { quotaState } from '../quota.js';
import {
  canSeeUsage,
  describeSettings,
  effectiveSettings,
  resolveSettingKey,
  settingEntry,
  SETTING_KEYS,
  SETTING_SPECS,
  validateChanges,
  type SettingError,
  type SettingRow,
  type SettingSource,
} from '../settings/index.js';
import { missingModelLines, modelsLine } from '../model-choices.js';
import { quotaLine } from '../usage-text.js';
import {
  MODEL_LIST_UNAVAILABLE,
  modelChoicesText,
  NO_SETTING_CHANGES,
  SETTINGS_RESET,
  channelSettingsResetText,
  optionErrorsText,
  settingErrorsText,
  settingsAdminOnlyText,
  tenantOnlySettingsText,
} from '../user-messages.js';
import { defineCommand, defineGroup, type PlatformWords } from './definition.js';
import { checkValue, HERE, type ChannelSpec, type OptionSpec } from './options.js';
import { admins, everyone } from './preconditions.js';

const ADMINS = admins(settingsAdminOnlyText);

/** Where a change applies: one channel (`here`: the one the command runs in), else everywhere. */
const CHANNEL_TO_CHANGE = {
  name: 'channel',
  type: 'channel',
  description: 'Only in this channel and its threads (default: everywhere)',
  rest: true,
} as const satisfies ChannelSpec & OptionSpec;

/** Every setting is an option of `/settings set`; a new setting needs no change here. */
const SETTING_OPTIONS: readonly OptionSpec[] = [
  CHANNEL_TO_CHANGE,
  ...SETTING_KEYS.map((key) => ({ name: key, ...SETTING_SPECS[key] })),
];

export const settings = defineGroup({
  name: 'settings',
  description: "Show or change this {tenant}'s model and generation settings",
  defaultSubcommand: 'show',
  subcommands: [
    defineCommand({
      name: 'show',
      description: 'Show the settings in force here, and where each comes from',
      options: [
        {
          ...CHANNEL_TO_CHANGE,
          description: 'The channel whose settings to show (default: this one)',
        },
      ],
      precondition: everyone,
      private: true,
      run: (call, deps) =>
        showSettings(deps, call, channelOf(call.job, call.options.channel ?? HERE)),
    }),
    defineCommand({
      name: 'set',
      description: 'Change one or more settings, everywhere or in one channel',
      options: SETTING_OPTIONS,
      typedAs: 'pairs',
      checksOwnOptions: true,
      precondition: ADMINS,
      private: true,
      run: async (call, deps) => {
        const { job } = call;
        const { platform, tenantId, actor } = job;
        const { channel: typedChannel, ...given } = job.options;
        let channelId: string | undefined;
        if (typedChannel !== undefined) {
          const checked = checkValue(CHANNEL_TO_CHANGE.name, CHANNEL_TO_CHANGE, typedChannel);
          if (!checked.ok) return optionErrorsText([checked.error]);
          channelId = channelOf(job, String(checked.value));
        }
        if (Object.keys(given).length === 0) return NO_SETTING_CHANGES;
        let knownModels: readonly string[] | undefined;
        if (Object.keys(given).some(namesModels)) {
          try {
            knownModels = await deps.models.chatModels();
          } catch {
            // Unchecked models are never stored: refuse rather than guess.
            return MODEL_LIST_UNAVAILABLE;
          }
        }
        const checked = validateChanges(given, { knownModels });
        if (!checked.ok)
          return withModelChoices(settingErrorsText(checked.errors), checked.errors, deps);
        const keys = Object.keys(checked.changes) as (keyof typeof checked.changes)[];
        const tenantOnly = keys.filter((key) => settingEntry(key).tenantOnly);
        if (channelId !== undefined && tenantOnly.length > 0)
          return tenantOnlySettingsText(tenantOnly, call.style.words.tenant);
        await deps.settings.apply(platform, tenantId, checked.changes, actor, channelId);
        deps.log.info({ platform, tenantId, channelId, actor: actor.id, keys }, 'settings changed');
        return showSettings(deps, call, channelId, '✅ Settings updated');
      },
    }),
    defineCommand({
      name: 'reset',
      description: 'Go back to the defaults, or a channel back to the shared settings',
      options: [CHANNEL_TO_CHANGE],
      precondition: ADMINS,
      private: true,
      run: async ({ job, options, style }, deps) => {
        const channelId =
          options.channel === undefined ? undefined : channelOf(job, options.channel);
        await deps.settings.reset(job.platform, job.tenantId, job.actor, channelId);
        deps.log.info(
          { platform: job.platform, tenantId: job.tenantId, channelId, actor: job.actor.id },
          'settings reset',
        );
        return channelId === undefined
          ? SETTINGS_RESET
          : channelSettingsResetText(channelId, style.words.tenant);
      },
    }),
  ],
});

/** Whether a typed key is a setting whose value names chat models (checked against the list). */
function namesModels(typed: string): boolean {
  const key = resolveSettingKey(typed);
  return key !== undefined && 'catalog' in SETTING_SPECS[key];
}

/** How many models a refused model name is followed by. */
const MODEL_CHOICES = 5;

/**
 * A refused model name is followed by models to pick from (the close
 * matches, else the first listed), each with its price and whether it takes
 * images: Slack has no autocomplete to show them.
 */
async function withModelChoices(
  text: string,
  errors: readonly SettingError[],
  deps: CommandDeps,
): Promise<string> {
  const refused = errors.find((error) => error.code === 'unknown_model');
  if (!refused) return text;
  const infos = await deps.models.modelInfos().catch(() => [] as const);
  const suggested = refused.suggestions ?? [];
  const shown = (
    suggested.length > 0 ? infos.filter((info) => suggested.includes(info.id)) : infos
  ).slice(0, MODEL_CHOICES);
  if (shown.length === 0) return text;
  return `${text}\n${modelChoicesText(modelsLine(shown), suggested.length > 0)}`;
}

/** The channel a checked channel option names; `here` is the job's (a thread's parent). */
function channelOf(job: CommandJob, value: string): string {
  return value === HERE ? settingsChannel(job) : value;
}

/**
 * The settings in force in `channelId`, or for the whole tenant, one line
 * each with where its value comes from; admins also see today's quotas.
 */
async function showSettings(
  deps: CommandDeps,
  { job, style }: Pick<CommandCall<unknown>, 'job' | 'style'>,
  channelId: string | undefined,
  done?: string,
): Promise<string> {
  const { platform, tenantId } = job;
  const layers = await deps.settings.layers(platform, tenantId, channelId);
  const rows = describeSettings(layers, deps.defaults).map((row) => settingLine(row, style.words));
  if (canSeeUsage(job.actor)) {
    const { quotas } = effectiveSettings(deps.defaults, layers.tenant, layers.channel);
    const now = deps.now?.() ?? new Date();
    rows.push(quotaLine(await quotaState(deps.usage, platform, tenantId, quotas, now), now));
    // Without the list nothing can be said about it; the settings still show.
    const known = await deps.models.chatModels().catch(() => undefined);
    if (known) rows.push(...missingModelLines(layers, deps.defaults, known));
  }
  const where =
    channelId === undefined ? `for the whole ${style.words.tenant}` : `in <#${channelId}>`;
  const title = done ? `${done} ${where}` : `Settings in force ${where}`;
  return [`**${title}**`, ...rows].join('\n');
}

/** `• **model**: `m` _(channel; server: n)_`: the value, then whose it is and what it replaces. */
function settingLine(row: SettingRow, words: PlatformWords): string {
  const sourceWord = (source: SettingSource) => (source === 'tenant' ? words.tenant : source);
  const replaces = row.replaces
    ? `; ${sourceWord(row.replaces.source)}: ${row.replaces.value}`
    : '';
  const value = row.key === 'system_prompt' ? row.value.replace(/\s+/g, ' ') : row.value;
  return `• **${row.key}**: \`${value.replace(/`/g, "'")}\` _(${sourceWord(row.source)}${replaces})_`;
}
