/**
 * The rows of `/settings show`: every setting in display order, its value in
 * force as text, and whether it is a default. Platforms only lay them out.
 */
import { defaultValue, effectiveValue } from './effective.js';
import { SETTING_KEYS, settingEntry, type SettingKey, type SettingValue } from './keys.js';
import { storedValue } from './stored.js';
import type { Defaults, EffectiveSettings, StoredSettings } from './types.js';

export interface SettingRow {
  readonly key: SettingKey;
  readonly value: string;
  /** True when the tenant stored nothing for this key. */
  readonly isDefault: boolean;
  /** The default, when one exists and the tenant overrides it. */
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
    const fallback = defaultValue(defaults, key);
    return {
      key,
      value: value === undefined ? unsetText(key) : show(value),
      isDefault,
      ...(!isDefault && fallback !== undefined ? { defaultValue: show(fallback) } : {}),
    };
  });
}

/** Only sampling parameters and quotas can be unset: the rest have a default. */
function unsetText(key: SettingKey): string {
  return settingEntry(key).effective === 'sampling' ? MODEL_DEFAULT : NO_LIMIT;
}

/** A value as text; a long one (only a system prompt is that long) cut between characters. */
function show(value: SettingValue): string {
  if (typeof value !== 'string') return String(value);
  const chars = Array.from(value);
  return chars.length > SHOWN_PROMPT_CHARS
    ? `${chars.slice(0, SHOWN_PROMPT_CHARS - 1).join('')}…`
    : value;
}
