/**
 * Where each setting lives: in a field of StoredSettings (a column of its own)
 * or in `extra` (the sampling parameters added without a migration), and where
 * its effective value sits in EffectiveSettings.
 */
import type { SamplingParams } from '../chutes/chat-types.js';
import type { EffectiveSettings, StoredSettings } from './settings.js';
import { SETTING_KEYS, type SettingKey, type SettingValues } from './settings-keys.js';
import { validateSetting } from './settings-validate.js';

/** Settings with a field (and a database column) of their own. */
export const STORED_FIELD = {
  model: 'model',
  temperature: 'temperature',
  top_p: 'topP',
  max_tokens: 'maxTokens',
  system_prompt: 'systemPrompt',
  image_model: 'imageModel',
  forget_admin_only: 'forgetAdminOnly',
  daily_token_limit: 'dailyTokenLimit',
  daily_image_limit: 'dailyImageLimit',
  daily_user_token_limit: 'dailyUserTokenLimit',
  daily_user_image_limit: 'dailyUserImageLimit',
} as const satisfies { readonly [K in SettingKey]?: keyof StoredSettings };

export type ColumnKey = keyof typeof STORED_FIELD;
/** Settings stored in `extra` under their own (Chutes) name. */
export type ExtraKey = Exclude<SettingKey, ColumnKey>;

export function isColumnKey(key: SettingKey): key is ColumnKey {
  return key in STORED_FIELD;
}

/** Typed so that every extra is a parameter the Chutes request schema defines. */
export const EXTRA_KEYS: readonly (ExtraKey & keyof SamplingParams)[] = SETTING_KEYS.filter(
  (key): key is ExtraKey => !isColumnKey(key),
);

/** Settings whose effective value is a sampling parameter sent to Chutes. */
type SamplingKey = Exclude<
  SettingKey,
  | 'model'
  | 'image_model'
  | 'system_prompt'
  | 'forget_admin_only'
  | 'daily_token_limit'
  | 'daily_image_limit'
  | 'daily_user_token_limit'
  | 'daily_user_image_limit'
>;

/**
 * What a tenant stored for one setting; undefined means "the default". An
 * `extra` entry is re-checked because jsonb holds whatever was written to it
 * (by an older version, or by hand): an invalid one counts as not set, so it
 * never reaches Chutes.
 */
export function storedValue<K extends SettingKey>(
  stored: StoredSettings | undefined,
  key: K,
): SettingValues[K] | undefined;
export function storedValue(stored: StoredSettings | undefined, key: SettingKey) {
  if (stored === undefined) return undefined;
  if (isColumnKey(key)) return stored[STORED_FIELD[key]] ?? undefined;
  const raw = stored.extra?.[key];
  if (raw === undefined) return undefined;
  const checked = validateSetting(key, raw);
  // Strings are never written to extra; a "0.5" found there was not written by the bot.
  return checked.ok && typeof raw === 'number' ? checked.value : undefined;
}

/** The value in force for one setting; undefined when nothing is sent and the model decides. */
export function effectiveValue<K extends SettingKey>(
  effective: EffectiveSettings,
  key: K,
): SettingValues[K] | undefined;
export function effectiveValue(effective: EffectiveSettings, key: SettingKey) {
  switch (key) {
    case 'model':
      return effective.model;
    case 'image_model':
      return effective.imageModel;
    case 'system_prompt':
      return effective.systemPrompt;
    case 'forget_admin_only':
      return effective.forgetAdminOnly;
    case 'daily_token_limit':
      return effective.quotas.dailyTokens;
    case 'daily_image_limit':
      return effective.quotas.dailyImages;
    case 'daily_user_token_limit':
      return effective.quotas.memberTokens;
    case 'daily_user_image_limit':
      return effective.quotas.memberImages;
    default:
      return effective.sampling[key satisfies SamplingKey];
  }
}
