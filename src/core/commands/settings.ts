/** /settings: show (anyone), set and reset (admins) this tenant's model and generation settings. */
import type { CommandDeps } from './definition.js';
import type { CommandJob } from '../jobs.js';
import { quotaState } from '../quota.js';
import {
  canSeeUsage,
  describeSettings,
  SETTING_KEYS,
  SETTING_SPECS,
  validateChanges,
} from '../settings/index.js';
import { quotaLine } from '../usage-text.js';
import {
  MODEL_LIST_UNAVAILABLE,
  NO_SETTING_CHANGES,
  SETTINGS_RESET,
  settingErrorsText,
  settingsAdminOnlyText,
} from '../user-messages.js';
import { defineCommand, defineGroup } from './definition.js';
import type { OptionSpec } from './options.js';
import { admins, everyone } from './preconditions.js';

const ADMINS = admins(settingsAdminOnlyText);

/** Every setting is an option of `/settings set`; a new setting needs no change here. */
const SETTING_OPTIONS: readonly OptionSpec[] = SETTING_KEYS.map((key) => ({
  name: key,
  ...SETTING_SPECS[key],
}));

export const settings = defineGroup({
  name: 'settings',
  description: "Show or change this {tenant}'s model and generation settings",
  defaultSubcommand: 'show',
  subcommands: [
    defineCommand({
      name: 'show',
      description: 'Show the settings in force',
      precondition: everyone,
      private: true,
      run: ({ job }, deps) => showSettings(deps, job, 'Current settings'),
    }),
    defineCommand({
      name: 'set',
      description: 'Change one or more settings',
      options: SETTING_OPTIONS,
      typedAs: 'pairs',
      checksOwnOptions: true,
      precondition: ADMINS,
      private: true,
      run: async ({ job }, deps) => {
        const { platform, tenantId, actor } = job;
        if (Object.keys(job.options).length === 0) return NO_SETTING_CHANGES;
        let knownModels: readonly string[] | undefined;
        if ('model' in job.options) {
          try {
            knownModels = await deps.models.chatModels();
          } catch {
            // Unchecked models are never stored: refuse rather than guess.
            return MODEL_LIST_UNAVAILABLE;
          }
        }
        const checked = validateChanges(job.options, { knownModels });
        if (!checked.ok) return settingErrorsText(checked.errors);
        await deps.settings.apply(platform, tenantId, checked.changes, actor);
        deps.log.info(
          { platform, tenantId, actor: actor.id, keys: Object.keys(checked.changes) },
          'settings changed',
        );
        return showSettings(deps, job, '✅ Settings updated');
      },
    }),
    defineCommand({
      name: 'reset',
      description: 'Go back to the defaults',
      precondition: ADMINS,
      private: true,
      run: async ({ job }, deps) => {
        await deps.settings.reset(job.platform, job.tenantId, job.actor);
        deps.log.info(
          { platform: job.platform, tenantId: job.tenantId, actor: job.actor.id },
          'settings reset',
        );
        return SETTINGS_RESET;
      },
    }),
  ],
});

async function showSettings(deps: CommandDeps, job: CommandJob, title: string): Promise<string> {
  const { platform, tenantId } = job;
  const [effective, stored] = await Promise.all([
    deps.settings.get(platform, tenantId),
    deps.settings.stored(platform, tenantId),
  ]);
  const rows = describeSettings(effective, stored, deps.defaults).map((row) => {
    const origin = row.isDefault
      ? ' _(default)_'
      : row.defaultValue
        ? ` _(default: ${row.defaultValue})_`
        : '';
    const value = row.key === 'system_prompt' ? row.value.replace(/\s+/g, ' ') : row.value;
    return `• **${row.key}**: \`${value.replace(/`/g, "'")}\`${origin}`;
  });
  // Admins also see where today's quotas stand.
  if (canSeeUsage(job.actor)) {
    const now = deps.now?.() ?? new Date();
    rows.push(
      quotaLine(await quotaState(deps.usage, platform, tenantId, effective.quotas, now), now),
    );
  }
  return [`**${title}**`, ...rows].join('\n');
}
