/**
 * The settings in force: the environment's defaults, under what a tenant's
 * admins stored for the whole tenant, under what they stored for the channel
 * (a stored null means "the layer below"; tenant-only settings have no
 * channel layer), each value put where its table entry (keys.ts) says it goes.
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
import type {
  Defaults,
  EffectiveSettings,
  Quotas,
  SettingSource,
  StoredSettings,
} from './types.js';

/** The settings in force for the tenant (`channel` absent) or in one channel of it. */
export function effectiveSettings(
  defaults: Defaults,
  stored: StoredSettings | undefined,
  channel?: StoredSettings,
): EffectiveSettings {
  const fields: Record<string, SettingValue> = {};
  const quotas: Record<string, SettingValue> = {};
  const sampling: Record<string, SettingValue> = {};
  for (const key of SETTING_KEYS) {
    const value = valueInForce(key, defaults, stored, channel);
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

/** The layer the value in force of one setting comes from: the channel's, the tenant's, or none. */
export function settingSource(
  key: SettingKey,
  stored: StoredSettings | undefined,
  channel?: StoredSettings,
): SettingSource {
  if (!settingEntry(key).tenantOnly && storedValue(channel, key) !== undefined) return 'channel';
  return storedValue(stored, key) !== undefined ? 'tenant' : 'default';
}

/** The value in force of one setting: the channel's, else the tenant's, else the default. */
export function valueInForce<K extends SettingKey>(
  key: K,
  defaults: Defaults,
  stored: StoredSettings | undefined,
  channel?: StoredSettings,
): SettingValues[K] | undefined;
export function valueInForce(
  key: SettingKey,
  defaults: Defaults,
  stored: StoredSettings | undefined,
  channel?: StoredSettings,
): SettingValue | undefined {
  const own = settingEntry(key).tenantOnly ? undefined : storedValue(channel, key);
  return own ?? storedValue(stored, key) ?? defaultValue(defaults, key);
}
