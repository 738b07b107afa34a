/**
 * Pure checks of what an admin typed: a validated value or a coded error,
 * never an exception and never a platform object. User-facing text is looked
 * up by the code (core/user-messages.ts). Raw values come as strings from
 * Slack ("0.2", " 2 ", "true") and as numbers or booleans from Discord.
 */
import {
  SETTING_KEYS,
  SETTING_SPECS,
  allowedPhrase,
  resolveSettingKey,
  type IntegerSpec,
  type ModelSpec,
  type NumberSpec,
  type SettingChanges,
  type SettingKey,
  type SettingValue,
  type SettingValues,
  type TextSpec,
} from './settings-keys.js';

export type SettingErrorCode =
  | 'unknown_key'
  | 'empty'
  | 'not_a_number'
  | 'not_an_integer'
  | 'out_of_range'
  | 'not_text'
  | 'too_long'
  | 'invalid_characters'
  | 'unknown_model'
  | 'not_a_boolean';

export interface SettingError {
  readonly code: SettingErrorCode;
  /** The canonical key, or what the user typed when `unknown_key`. */
  readonly key: string;
  /** What would have been accepted, as a phrase: "a number from 0 to 2". */
  readonly allowed: string;
  /** The rejected input, shortened, for messages such as "`foo` is not a Chutes model". */
  readonly received?: string;
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

/** Longest echo of a rejected input in an error: enough to recognise it, not a wall of text. */
const RECEIVED_MAX = 60;
const MAX_SUGGESTIONS = 3;
/** A decimal number as people write it: no hex, no `1_000`, no `Infinity`. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
/** Postgres text cannot hold NUL; other control characters have no place in a prompt either. */
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** Model ids are path-like (`org/name`): whitespace or controls mean a typo or paste accident. */
// eslint-disable-next-line no-control-regex
const NOT_IN_MODEL_NAME = /[\s\u0000-\u001f\u007f]/;

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
  const fail = (code: SettingErrorCode, extra: Partial<SettingError> = {}): SettingResult => ({
    ok: false,
    error: { code, key, allowed: allowedPhrase(spec), ...received(raw), ...extra },
  });
  const pass = (value: SettingValue): SettingResult => ({ ok: true, key, value });

  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return fail('empty');
  }
  switch (spec.kind) {
    case 'number':
    case 'integer':
      return checkNumber(spec, raw, fail, pass);
    case 'text':
      return checkText(spec, raw, fail, pass);
    case 'model':
      return checkModel(spec, raw, ctx, fail, pass);
    case 'boolean': {
      const value = toBoolean(raw);
      return value === undefined ? fail('not_a_boolean') : pass(value);
    }
  }
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

type Fail = (code: SettingErrorCode, extra?: Partial<SettingError>) => SettingResult;
type Pass = (value: SettingValue) => SettingResult;

function checkNumber(
  spec: NumberSpec | IntegerSpec,
  raw: unknown,
  fail: Fail,
  pass: Pass,
): SettingResult {
  const value = toNumber(raw);
  // NaN, ±Infinity and 1e309 (which parses to Infinity) are not numbers anyone can mean.
  if (value === undefined || !Number.isFinite(value)) return fail('not_a_number');
  if (spec.kind === 'integer') {
    if (!Number.isInteger(value)) return fail('not_an_integer');
    if (value === spec.off) return pass(value);
  }
  const aboveMin =
    spec.kind === 'number' && spec.minExclusive ? value > spec.min : value >= spec.min;
  if (!aboveMin || value > spec.max) return fail('out_of_range');
  // -0 would be shown as "0" anyway; store the plain zero.
  return pass(value === 0 ? 0 : value);
}

function checkText(spec: TextSpec, raw: unknown, fail: Fail, pass: Pass): SettingResult {
  if (typeof raw !== 'string') return fail('not_text');
  const value = raw.trim();
  if (CONTROL_EXCEPT_WHITESPACE.test(value)) return fail('invalid_characters');
  if (codePoints(value) > spec.maxLength) return fail('too_long');
  return pass(value);
}

function checkModel(
  spec: ModelSpec,
  raw: unknown,
  ctx: ValidationContext,
  fail: Fail,
  pass: Pass,
): SettingResult {
  if (typeof raw !== 'string') return fail('not_text');
  const value = raw.trim();
  if (codePoints(value) > spec.maxLength) return fail('too_long');
  if (NOT_IN_MODEL_NAME.test(value)) return fail('invalid_characters');
  const known = spec.catalog === 'chat' ? ctx.knownModels : undefined;
  if (known === undefined || known.includes(value)) return pass(value);
  // Slack users type names by hand: accept a unique case-insensitive match, stored as listed.
  const lower = value.toLowerCase();
  const sameName = known.filter((m) => m.toLowerCase() === lower);
  if (sameName.length === 1 && sameName[0] !== undefined) return pass(sameName[0]);
  const suggestions = known
    .filter((m) => m.toLowerCase().includes(lower))
    .slice(0, MAX_SUGGESTIONS);
  return fail('unknown_model', {
    allowed: 'a model from the Chutes model list',
    ...(suggestions.length > 0 ? { suggestions } : {}),
  });
}

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    return DECIMAL.test(text) ? Number(text) : undefined;
  }
  return undefined;
}

const TRUE_WORDS = new Set(['true', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'off']);

function toBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw !== 'string') return undefined;
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

function received(raw: unknown): { received?: string } {
  if (typeof raw === 'string') return raw.trim() === '' ? {} : { received: shorten(raw.trim()) };
  if (typeof raw === 'number' || typeof raw === 'boolean') return { received: String(raw) };
  return {};
}

function shorten(text: string): string {
  const chars = Array.from(text);
  return chars.length > RECEIVED_MAX ? `${chars.slice(0, RECEIVED_MAX - 1).join('')}…` : text;
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
