/**
 * Per-tenant generation settings: the environment's defaults merged with what
 * a tenant's admins stored. A stored null means "use the default".
 *
 * This module is also the front door of the settings feature: the keys and
 * their ranges, validation, who may change what, and the `/settings show`
 * rows are re-exported from their own small modules below.
 */
import type { SamplingParams } from '../chutes/chat-types.js';
import { EXTRA_KEYS, storedValue } from './settings-fields.js';

export * from './settings-access.js';
export * from './settings-describe.js';
export * from './settings-fields.js';
export * from './settings-keys.js';
export * from './settings-validate.js';

export interface Defaults {
  readonly model: string;
  readonly imageModel: string;
  readonly temperature: number;
  readonly maxTokens: number;
  readonly systemPrompt: string;
}

/** What a tenant stored; absent or null fields fall back to the defaults. */
export interface StoredSettings {
  readonly model?: string | null;
  readonly temperature?: number | null;
  readonly topP?: number | null;
  readonly maxTokens?: number | null;
  readonly systemPrompt?: string | null;
  readonly imageModel?: string | null;
  readonly forgetAdminOnly?: boolean | null;
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

export interface EffectiveSettings {
  readonly model: string;
  readonly imageModel: string;
  readonly systemPrompt: string;
  readonly forgetAdminOnly: boolean;
  /** Daily limits for the whole tenant (core/quota.ts); undefined: no limit. */
  /** Daily quotas, for the tenant and for each member in it; unset: no limit. */
  readonly quotas: {
    readonly dailyTokens?: number;
    readonly dailyImages?: number;
    readonly memberTokens?: number;
    readonly memberImages?: number;
  };
  /** Sent to Chutes as they are: only parameters of its request schema, snake_case. */
  readonly sampling: SamplingParams;
}

export function effectiveSettings(
  defaults: Defaults,
  stored: StoredSettings | undefined,
): EffectiveSettings {
  const s = stored ?? {};
  const sampling: SamplingParams = {};
  for (const key of EXTRA_KEYS) {
    const value = storedValue(stored, key);
    if (value !== undefined) sampling[key] = value;
  }
  sampling.temperature = s.temperature ?? defaults.temperature;
  sampling.max_tokens = s.maxTokens ?? defaults.maxTokens;
  // No default for top_p: unset, Chutes applies the model's own.
  if (s.topP != null) sampling.top_p = s.topP;
  return {
    model: s.model ?? defaults.model,
    imageModel: s.imageModel ?? defaults.imageModel,
    systemPrompt: s.systemPrompt ?? defaults.systemPrompt,
    forgetAdminOnly: s.forgetAdminOnly ?? false,
    quotas: {
      ...(s.dailyTokenLimit ? { dailyTokens: s.dailyTokenLimit } : {}),
      ...(s.dailyImageLimit ? { dailyImages: s.dailyImageLimit } : {}),
      ...(s.dailyUserTokenLimit ? { memberTokens: s.dailyUserTokenLimit } : {}),
      ...(s.dailyUserImageLimit ? { memberImages: s.dailyUserImageLimit } : {}),
    },
    sampling,
  };
}

/** Where the core reads a tenant's settings from (Postgres in production). */
export interface SettingsSource {
  get(platform: string, tenantId: string): Promise<EffectiveSettings>;
}
