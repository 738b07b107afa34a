/**
 * The rows of `/settings show`: every setting in display order, its value in
 * force as text, and whether it is a default. Platforms only lay them out.
 */
import type { Defaults, EffectiveSettings, StoredSettings } from './settings.js';
import { effectiveValue, storedValue } from './settings-fields.js';
import { SETTING_KEYS, type SettingKey, type SettingValue } from './settings-keys.js';

export interface SettingRow {
  readonly key: SettingKey;
  readonly value: string;
  /** True when the tenant stored nothing for this key. */
  readonly isDefault: boolean;
  /** The environment default, when one exists and the tenant overrides it. */
  readonly defaultValue?: string;
}

/** Long enough to recognise a prompt; the whole one would flood the channel. */
export const SHOWN_PROMPT_CHARS = 200;
/** The value of a sampling parameter nobody set: nothing is sent and the model decides. */
export const MODEL_DEFAULT = "not set (the model's own default)";
/** The value of a daily quota nobody set, or set to 0. */
export const NO_LIMIT = 'no limit';

export function describeSettings(
  effective: EffectiveSettings,
  stored: StoredSettings | undefined,
  defaults: Defaults,
): SettingRow[] {
  return SETTING_KEYS.map((key) => {
    const value = effectiveValue(effective, key);
    const isDefault = storedValue(stored, key) === undefined;
    const fallback = defaultOf(defaults, key);
    return {
      key,
      value: value === undefined ? unsetText(key) : show(key, value),
      isDefault,
      ...(!isDefault && fallback !== undefined ? { defaultValue: show(key, fallback) } : {}),
    };
  });
}

function unsetText(key: SettingKey): string {
  return key.startsWith('daily_') ? NO_LIMIT : MODEL_DEFAULT;
}

function defaultOf(defaults: Defaults, key: SettingKey): SettingValue | undefined {
  switch (key) {
    case 'model':
      return defaults.model;
    case 'image_model':
      return defaults.imageModel;
    case 'temperature':
      return defaults.temperature;
    case 'max_tokens':
      return defaults.maxTokens;
    case 'system_prompt':
      return defaults.systemPrompt;
    case 'forget_admin_only':
      return false;
    default:
      return undefined;
  }
}

function show(key: SettingKey, value: SettingValue): string {
  if (key !== 'system_prompt' || typeof value !== 'string') return String(value);
  const chars = Array.from(value);
  return chars.length > SHOWN_PROMPT_CHARS
    ? `${chars.slice(0, SHOWN_PROMPT_CHARS - 1).join('')}…`
    : value;
}
