/**
 * The settings in force: the environment's defaults merged with what a
 * tenant's admins stored (a stored null means "use the default"), each value
 * put where its table entry (keys.ts) says it goes.
 */
import type { SamplingParams } from '../../chutes/chat-types.js';
import {
  SETTING_KEYS,
  settingEntry,
  type SettingKey,
  type SettingValue,
  type SettingValues,
} from './keys.js';
import { storedValue } from './stored.js';
import type { Defaults, EffectiveSettings, Quotas, StoredSettings } from './types.js';

export function effectiveSettings(
  defaults: Defaults,
  stored: StoredSettings | undefined,
): EffectiveSettings {
  const fields: Record<string, SettingValue> = {};
  const quotas: Record<string, SettingValue> = {};
  const sampling: Record<string, SettingValue> = {};
  for (const key of SETTING_KEYS) {
    const value = storedValue(stored, key) ?? defaultValue(defaults, key);
    if (value === undefined) continue;
    const { effective } = settingEntry(key);
    if (effective === 'sampling') sampling[key] = value;
    else if ('field' in effective) fields[effective.field] = value;
    // A quota of 0 is "no limit", as is none stored.
    else if (value) quotas[effective.quota] = value;
  }
  // The table (keys.ts) checks that each value has its target's type, and that every field
  // target has a default, so these records are well typed.
  return {
    ...(fields as Omit<EffectiveSettings, 'quotas' | 'sampling'>),
    quotas: quotas as Quotas,
    sampling: sampling as SamplingParams,
  };
}

/** The value in force for one setting; undefined when nothing is sent and the model decides. */
export function effectiveValue<K extends SettingKey>(
  effective: EffectiveSettings,
  key: K,
): SettingValues[K] | undefined;
export function effectiveValue(effective: EffectiveSettings, key: SettingKey) {
  const target = settingEntry(key).effective;
  if (target === 'sampling') return effective.sampling[key as keyof SamplingParams];
  if ('quota' in target) return effective.quotas[target.quota];
  return effective[target.field];
}

/** What is in force for one setting while the tenant stored nothing for it. */
export function defaultValue<K extends SettingKey>(
  defaults: Defaults,
  key: K,
): SettingValues[K] | undefined;
export function defaultValue(defaults: Defaults, key: SettingKey): SettingValue | undefined {
  const source = settingEntry(key).default;
  if (source === undefined) return undefined;
  return 'env' in source ? defaults[source.env] : source.value;
}
