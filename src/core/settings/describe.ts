/**
 * The rows of `/settings show`: every setting in display order, its value in
 * force as text, where that value comes from (the channel, the tenant, the
 * defaults) and what it replaces. Platforms only lay them out.
 */
import { settingSource, valueInForce } from './effective.js';
import { SETTING_KEYS, settingEntry, type SettingKey, type SettingValue } from './keys.js';
import type { Defaults, SettingSource, StoredLayers } from './types.js';

export interface SettingRow {
  readonly key: SettingKey;
  readonly value: string;
  /** Whose value is in force. */
  readonly source: SettingSource;
  /**
   * What would be in force without the channel's value (the tenant's or the
   * default), or without the tenant's (the default); absent when that is
   * nothing (the model's own default, no limit) or when the value is the default.
   */
  readonly replaces?: {
    readonly source: Exclude<SettingSource, 'channel'>;
    readonly value: string;
  };
}

/** Long enough to recognise a prompt; the whole one would flood the channel. */
export const SHOWN_PROMPT_CHARS = 200;
/** The value of a sampling parameter nobody set: nothing is sent and the model decides. */
export const MODEL_DEFAULT = "not set (the model's own default)";
/** The value of a daily quota nobody set, or set to 0. */
export const NO_LIMIT = 'no limit';

/** The rows for the tenant (no `channel` layer) or for one channel of it. */
export function describeSettings(layers: StoredLayers, defaults: Defaults): SettingRow[] {
  const { tenant, channel } = layers;
  return SETTING_KEYS.map((key) => {
    const value = valueInForce(key, defaults, tenant, channel);
    const source = settingSource(key, tenant, channel);
    const below =
      source === 'channel'
        ? valueInForce(key, defaults, tenant)
        : source === 'tenant'
          ? valueInForce(key, defaults, undefined)
          : undefined;
    return {
      key,
      value: value === undefined ? unsetText(key) : show(value),
      source,
      ...(below !== undefined
        ? {
            replaces: {
              source:
                source === 'channel' && settingSource(key, tenant) === 'tenant'
                  ? 'tenant'
                  : 'default',
              value: show(below),
            },
          }
        : {}),
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
  // An empty list (fallback_models) is set, to nothing.
  if (value === '') return 'none';
  const chars = Array.from(value);
  return chars.length > SHOWN_PROMPT_CHARS
    ? `${chars.slice(0, SHOWN_PROMPT_CHARS - 1).join('')}…`
    : value;
}
