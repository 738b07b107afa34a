/**
 * Pure checks of what an admin typed: a validated value or a coded error,
 * never an exception and never a platform object. Every setting is an option
 * checked like any command's (commands/options.ts); this adds what only
 * settings have: keys in any spelling, and chat models checked against the
 * Chutes model list. User-facing text is looked up by the code
 * (core/user-messages.ts).
 */
import {
  checkValue,
  shorten,
  type OptionError,
  type OptionErrorCode,
} from '../commands/options.js';
import {
  SETTING_KEYS,
  SETTING_SPECS,
  resolveSettingKey,
  type SettingChanges,
  type SettingKey,
  type SettingValue,
  type SettingValues,
} from './keys.js';

export type SettingErrorCode =
  | Exclude<OptionErrorCode, 'unknown_option' | 'not_a_choice' | 'not_a_channel'>
  | 'unknown_key'
  | 'unknown_model';

export interface SettingError extends OptionError<SettingErrorCode> {
  /** For `unknown_model`: known models whose names contain what was typed. */
  readonly suggestions?: readonly string[];
}

export interface ValidationContext {
  /** The Chutes chat model list; when absent, any well-formed name is accepted. */
  readonly knownModels?: readonly string[];
}

export type SettingResult<V = SettingValue> =
  | { readonly ok: true; readonly key: SettingKey; readonly value: V }
  | { readonly ok: false; readonly error: SettingError };

export type ChangesResult =
  | { readonly ok: true; readonly changes: SettingChanges }
  | { readonly ok: false; readonly errors: readonly SettingError[] };

const MAX_SUGGESTIONS = 3;

export function validateSetting<K extends SettingKey>(
  key: K,
  raw: unknown,
  ctx?: ValidationContext,
): SettingResult<SettingValues[K]>;
export function validateSetting(key: string, raw: unknown, ctx?: ValidationContext): SettingResult;
export function validateSetting(
  rawKey: string,
  raw: unknown,
  ctx: ValidationContext = {},
): SettingResult {
  const key = resolveSettingKey(rawKey);
  if (key === undefined) {
    return {
      ok: false,
      error: {
        code: 'unknown_key',
        key: shorten(rawKey),
        allowed: `one of ${SETTING_KEYS.join(', ')}`,
      },
    };
  }
  const spec = SETTING_SPECS[key];
  const checked = checkValue(key, spec, raw);
  // A setting is never a choice, and its key is known: the codes left are settings' too.
  if (!checked.ok) return { ok: false, error: checked.error as SettingError };
  if (!('catalog' in spec) || typeof checked.value !== 'string')
    return { ok: true, key, value: checked.value };
  if (spec.catalog === 'chat-model-list')
    return checkModelList(key, checked.value, ctx.knownModels);
  const known = ctx.knownModels;
  if (known === undefined) return { ok: true, key, value: checked.value };
  return checkModel(key, checked.value, known);
}

/** What turns a list of models off: no fallbacks. */
const NO_MODELS = /^(none|off|-)$/i;

/** The models of a list setting (`fallback_models`), in order: '' and `none` are none. */
export function modelList(value: string): string[] {
  if (NO_MODELS.test(value.trim())) return [];
  return [...new Set(value.split(/[\s,]+/).filter((name) => name !== ''))];
}

/**
 * A list of models, each checked like a `model` (when the list is known),
 * stored as its names separated by a comma and a space; `none` is ''.
 */
function checkModelList(
  key: SettingKey,
  value: string,
  known: readonly string[] | undefined,
): SettingResult {
  const names = modelList(value);
  const checked: string[] = [];
  for (const name of names) {
    if (known === undefined) {
      checked.push(name);
      continue;
    }
    const one = checkModel(key, name, known);
    if (!one.ok) return one;
    checked.push(String(one.value));
  }
  return { ok: true, key, value: [...new Set(checked)].join(', ') };
}

/**
 * Validates every change of one `/settings set`: all values, or all errors, so
 * a command with one bad option stores nothing. Two spellings of one key
 * (`top_p` and `top-p`) count as one; the last wins, as in an object literal.
 */
export function validateChanges(
  changes: Readonly<Record<string, unknown>>,
  ctx: ValidationContext = {},
): ChangesResult {
  const values: Partial<Record<SettingKey, SettingValue>> = {};
  const errors: SettingError[] = [];
  for (const [key, raw] of Object.entries(changes)) {
    const result = validateSetting(key, raw, ctx);
    if (result.ok) values[result.key] = result.value;
    else errors.push(result.error);
  }
  // Each value was checked against its own key's spec above, so the record is well typed.
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, changes: values as SettingChanges };
}

function checkModel(key: SettingKey, value: string, known: readonly string[]): SettingResult {
  if (known.includes(value)) return { ok: true, key, value };
  // Slack users type names by hand: accept a unique case-insensitive match, stored as listed.
  const lower = value.toLowerCase();
  const sameName = known.filter((m) => m.toLowerCase() === lower);
  if (sameName.length === 1 && sameName[0] !== undefined)
    return { ok: true, key, value: sameName[0] };
  const suggestions = known
    .filter((m) => m.toLowerCase().includes(lower))
    .slice(0, MAX_SUGGESTIONS);
  return {
    ok: false,
    error: {
      code: 'unknown_model',
      key,
      allowed: 'a model from the Chutes model list',
      received: shorten(value),
      ...(suggestions.length > 0 ? { suggestions } : {}),
    },
  };
}
