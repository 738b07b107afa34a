/**
 * Handles /settings, /forget and /usage: who may, what is valid, what is
 * stored, and the answer, with no platform objects involved.
 */
import { classifyFailure, toJobError } from './job-error.js';
import type { CommandJob, JobContext } from './jobs.js';
import { quotaState } from './quota.js';
import {
  canChangeSettings,
  canForget,
  canSeeUsage,
  describeSettings,
  validateChanges,
  type Defaults,
  type EffectiveSettings,
  type SettingChanges,
  type SettingsSource,
  type StoredSettings,
} from './settings.js';
import type { Actor } from './settings-access.js';
import type { InteractionSurface } from './surface.js';
import { summarizeUsage, type UsageSource } from './usage.js';
import { quotaLine, usageReportText } from './usage-text.js';
import {
  commandFailureText,
  forgetAdminOnlyText,
  INTERNAL,
  forgottenText,
  MODEL_LIST_UNAVAILABLE,
  NO_SETTING_CHANGES,
  SETTINGS_RESET,
  settingErrorsText,
  settingsAdminOnlyText,
  usageAdminOnlyText,
} from './user-messages.js';

/** Where settings are read and changed (Postgres in production). */
export interface SettingsAdmin extends SettingsSource {
  stored(platform: string, tenantId: string): Promise<StoredSettings | undefined>;
  apply(
    platform: string,
    tenantId: string,
    changes: SettingChanges,
    actor: Actor,
  ): Promise<EffectiveSettings>;
  reset(platform: string, tenantId: string, actor: Actor): Promise<EffectiveSettings>;
}

/** The chat models Chutes serves, to check a `model` setting against. */
export interface ModelCatalog {
  chatModels(): Promise<readonly string[]>;
}

export interface CommandDeps {
  readonly interactions: (platform: string) => InteractionSurface;
  readonly settings: SettingsAdmin;
  readonly conversations: { forget(platform: string, conversationKey: string): Promise<number> };
  readonly models: ModelCatalog;
  readonly usage: UsageSource;
  readonly defaults: Defaults;
  readonly log: {
    info(details: object, message: string): void;
    warn(details: object, message: string): void;
  };
  readonly now?: () => Date;
}

/**
 * Answers the command. A failure is retried without a word; the one that ends
 * the job (attempts spent, a store away longer than a job waits) answers with
 * the one sentence for it, so no command is left on "thinking…".
 */
export async function handleCommandJob(
  job: CommandJob,
  ctx: JobContext,
  deps: CommandDeps,
): Promise<void> {
  const surface = deps.interactions(job.platform);
  try {
    const text = await answer(await withActor(job, surface), deps, surface.adminsAre);
    await surface.respond(job.interaction, { text });
  } catch (error) {
    // Stopped from outside: another attempt follows, wherever this one was.
    if (ctx.signal?.aborted) throw error;
    const failure = classifyFailure(error, ctx);
    if (failure.final) {
      try {
        await surface.respond(job.interaction, { text: commandFailureText(failure.code) });
      } catch (respondError) {
        deps.log.warn(
          { err: respondError, jobId: ctx.jobId },
          'could not show the failure to the user',
        );
      }
    }
    throw toJobError(error, failure);
  }
}

/**
 * The job with its actor looked up where the gateway left that to the
 * worker: who may change settings is decided on what the platform says now.
 */
export async function withActor(
  job: CommandJob,
  surface: Pick<InteractionSurface, 'person'>,
): Promise<CommandJob> {
  if (!job.actorPending || !surface.person) return job;
  const actor = await surface.person(job.tenantId, job.actor.id);
  return { ...job, actor, actorPending: false };
}

async function answer(job: CommandJob, deps: CommandDeps, adminsAre: string): Promise<string> {
  const { platform, tenantId, actor } = job;
  switch (job.command) {
    case 'settings.show':
      return showSettings(deps, job, 'Current settings');
    case 'settings.set': {
      if (!canChangeSettings(actor)) return settingsAdminOnlyText(adminsAre);
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
    }
    case 'settings.reset':
      if (!canChangeSettings(actor)) return settingsAdminOnlyText(adminsAre);
      await deps.settings.reset(platform, tenantId, actor);
      deps.log.info({ platform, tenantId, actor: actor.id }, 'settings reset');
      return SETTINGS_RESET;
    case 'forget': {
      const settings = await deps.settings.get(platform, tenantId);
      if (!canForget(actor, settings)) return forgetAdminOnlyText(adminsAre);
      const count = await deps.conversations.forget(platform, job.conversationKey);
      deps.log.info({ platform, conversation: job.conversationKey, count }, 'history forgotten');
      return forgottenText(count);
    }
    case 'usage': {
      if (!canSeeUsage(actor)) return usageAdminOnlyText(adminsAre);
      const now = deps.now?.() ?? new Date();
      const [groups, settings] = await Promise.all([
        deps.usage.usageGroups(platform, tenantId, now),
        deps.settings.get(platform, tenantId),
      ]);
      const quota = await quotaState(deps.usage, platform, tenantId, settings.quotas, now);
      return usageReportText(summarizeUsage(groups), quota, now);
    }
    case 'imagine':
      throw new Error('/imagine is handled by handleImagineJob');
  }
}

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

/** A command the queue gave up on (its workers kept dying): its answer says so. */
export async function reportAbandonedCommand(
  job: CommandJob,
  deps: Pick<CommandDeps, 'interactions'>,
): Promise<void> {
  await deps.interactions(job.platform).respond(job.interaction, { text: INTERNAL });
}
