/**
 * The shapes of the settings feature: the environment's defaults, what a
 * tenant stored, the settings in force, and who asks. This module imports
 * nothing from the rest of the folder, so every other module can import it
 * and none is imported back.
 */
import type { SamplingParams } from '../../chutes/chat-types.js';

export interface Defaults {
  readonly model: string;
  readonly imageModel: string;
  readonly temperature: number;
  readonly maxTokens: number;
  readonly systemPrompt: string;
}

/**
 * What a tenant stored, for the whole tenant or for one channel of it; absent
 * or null fields fall back to the layer below (a channel's to the tenant's,
 * the tenant's to the defaults). Each
 * field is a `tenant_settings` column named like its setting (`topP` is
 * `top_p`); keys.ts says which setting each one holds.
 */
export interface StoredSettings {
  readonly model?: string | null;
  readonly temperature?: number | null;
  readonly topP?: number | null;
  readonly maxTokens?: number | null;
  readonly systemPrompt?: string | null;
  readonly imageModel?: string | null;
  readonly visionModel?: string | null;
  /** Models that answer when the model is cold or full, comma-separated; '' for none. */
  readonly fallbackModels?: string | null;
  readonly forgetAdminOnly?: boolean | null;
  readonly replyInThread?: boolean | null;
  readonly showReasoning?: boolean | null;
  readonly suggestedPrompts?: string | null;
  /** Daily quotas; 0 (or null) means no limit. */
  readonly dailyTokenLimit?: number | null;
  readonly dailyImageLimit?: number | null;
  /** The same for each member; 0 (or null) means no limit. */
  readonly dailyUserTokenLimit?: number | null;
  readonly dailyUserImageLimit?: number | null;
  /**
   * Further sampling parameters by their Chutes name (top_k, min_p, …).
   * `unknown` because jsonb is not checked by the database; see `storedValue`.
   */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Id of the actor who last changed or reset the settings. */
  readonly updatedBy?: string | null;
  readonly updatedAt?: Date;
}

/** The fields of StoredSettings that hold one setting each (a column of its own). */
export type ColumnField = Exclude<keyof StoredSettings, 'extra' | 'updatedBy' | 'updatedAt'>;

/** Daily quotas, for the tenant and for each member in it (core/quota.ts); unset: no limit. */
export interface Quotas {
  readonly dailyTokens?: number;
  readonly dailyImages?: number;
  readonly memberTokens?: number;
  readonly memberImages?: number;
}

export interface EffectiveSettings {
  readonly model: string;
  readonly imageModel: string;
  /** Answers questions with images when `model` cannot see them; '' for none. */
  readonly visionModel: string;
  readonly systemPrompt: string;
  /**
   * Models that answer, in order, when the model has no instance up or no
   * capacity: names separated by commas ('' for none); read with `modelList`.
   */
  readonly fallbackModels: string;
  readonly forgetAdminOnly: boolean;
  /** A mention in a channel is answered in a new thread named after the question. */
  readonly replyInThread: boolean;
  /** A reasoning model's answer starts with a short summary of its thinking. */
  readonly showReasoning: boolean;
  /** Slack assistant threads: the prompts offered when one starts (suggested-prompts.ts). */
  readonly suggestedPrompts: string;
  readonly quotas: Quotas;
  /** Sent to Chutes as they are: only parameters of its request schema, snake_case. */
  readonly sampling: SamplingParams;
}

/**
 * Who asks, platform-neutral. The platform adapter decides `isAdmin`
 * (Discord: Manage Server; Slack: workspace admin or owner); the rules live
 * in access.ts and commands/preconditions.ts.
 */
export interface Actor {
  readonly id: string;
  /** Display name, kept in the audit log next to the id. */
  readonly name: string;
  readonly isAdmin: boolean;
}

/**
 * Where a value in force comes from: a channel's own settings, the tenant's
 * (the Discord server's, the Slack workspace's), or the defaults.
 */
export type SettingSource = 'channel' | 'tenant' | 'default';

/** What a tenant's admins stored, for the whole tenant and for one channel. */
export interface StoredLayers {
  readonly tenant?: StoredSettings;
  readonly channel?: StoredSettings;
}

/** Where the core reads a tenant's settings from (Postgres in production). */
export interface SettingsSource {
  /**
   * The settings in force in `channelId` (the parent channel of a thread), or
   * for the whole tenant when it is not given.
   */
  get(platform: string, tenantId: string, channelId?: string): Promise<EffectiveSettings>;
}
