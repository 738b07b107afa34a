/**
 * Where each setting is kept, derived from the table (keys.ts): in a field of
 * StoredSettings (a `tenant_settings` column of its own) or in `extra` (the
 * sampling parameters added without a migration). db/settings-store.ts maps
 * changes to columns with this, and nothing else.
 */
import {
  SETTING_KEYS,
  settingEntry,
  type SETTINGS,
  type SettingKey,
  type SettingValues,
} from './keys.js';
import type { ColumnField, StoredSettings } from './types.js';
import { validateSetting } from './validate.js';

type Table = typeof SETTINGS;

/** Settings with a field (and a database column) of their own. */
export type ColumnKey = {
  [K in SettingKey]: Table[K]['stored'] extends { readonly column: ColumnField } ? K : never;
}[SettingKey];
/** Settings stored in `extra` under their own (Chutes) name. */
export type ExtraKey = Exclude<SettingKey, ColumnKey>;

/** The field of one setting, or undefined for one kept in `extra`. */
export function storedField(key: SettingKey): ColumnField | undefined {
  const { stored } = settingEntry(key);
  return stored === 'extra' ? undefined : stored.column;
}

export function isColumnKey(key: SettingKey): key is ColumnKey {
  return storedField(key) !== undefined;
}

/** Every StoredSettings field that holds a setting: what a reset clears. */
export const COLUMN_FIELDS: readonly ColumnField[] = SETTING_KEYS.flatMap(
  (key) => storedField(key) ?? [],
);

/** The settings kept in `extra`; the table allows only parameters of the Chutes schema there. */
export const EXTRA_KEYS: readonly ExtraKey[] = SETTING_KEYS.filter(
  (key): key is ExtraKey => !isColumnKey(key),
);

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
  const field = storedField(key);
  if (field !== undefined) return stored[field] ?? undefined;
  const raw = stored.extra?.[key];
  if (raw === undefined) return undefined;
  const checked = validateSetting(key, raw);
  // Strings are never written to extra; a "0.5" found there was not written by the bot.
  return checked.ok && typeof raw === 'number' ? checked.value : undefined;
}
