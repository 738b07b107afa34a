/**
 * Command options as data (their type, limits and how they are typed as
 * text), and the one pure check of a value someone gave: typed by Discord,
 * text from Slack ("0.2", " 2 ", "true"). A check returns the value or a
 * coded error, never an exception; the sentence for each code is in
 * core/user-messages.ts. Settings are options too (settings/keys.ts), so
 * `/settings set` and `/imagine` refuse a value in the same words.
 */

interface SpecBase {
  /** One line for Discord's option picker and help; at most 100 characters. */
  readonly description: string;
}

/** Text, trimmed, 1 to `maxLength` characters (code points), without control characters. */
export interface StringSpec extends SpecBase {
  readonly type: 'string';
  readonly maxLength: number;
  /** A name rather than prose: whitespace inside is refused. */
  readonly noSpaces?: boolean;
  /** What the value is, in the phrase saying what is allowed (default "text"). */
  readonly noun?: string;
  /**
   * The value is a Chutes chat model: Discord offers the list as the person
   * types, and `/settings set` checks the name against it; `chat-model-list`,
   * models separated by commas, each checked the same way.
   */
  readonly catalog?: 'chat-models' | 'chat-model-list';
}

/** One of a fixed list of words. */
export interface ChoiceSpec extends SpecBase {
  readonly type: 'choice';
  readonly choices: readonly string[];
}

/** A whole number in [min, max], or exactly `off` (a sentinel meaning "disabled"). */
export interface IntegerSpec extends SpecBase {
  readonly type: 'integer';
  readonly min: number;
  readonly max: number;
  readonly off?: number;
}

/** A real number in [min, max], or (min, max] when `minExclusive`. */
export interface NumberSpec extends SpecBase {
  readonly type: 'number';
  readonly min: number;
  readonly max: number;
  readonly minExclusive?: boolean;
}

export interface BooleanSpec extends SpecBase {
  readonly type: 'boolean';
}

/**
 * A channel of the tenant, given as its mention, `<#id>` (Slack's `<#id|name>`
 * too; Discord's picked channel reaches the job so), or `here`: the channel
 * the command runs in. Its checked value is the channel's id, or {@link HERE}.
 */
export interface ChannelSpec extends SpecBase {
  readonly type: 'channel';
}

/** What a value may be. */
export type ValueSpec =
  StringSpec | ChoiceSpec | IntegerSpec | NumberSpec | BooleanSpec | ChannelSpec;

/** A named option of a command, and how it is written where commands are typed as text. */
export type OptionSpec = ValueSpec & {
  /** Lower case, at most 32 characters (Discord's option names). */
  readonly name: string;
  readonly required?: boolean;
  /** The value in usage lines: `1024x768`, `7`, `<what to avoid>` (default `<name>`). */
  readonly hint?: string;
  /** Typed as text: the option is the words given to no flag (`/imagine a red fox`). */
  readonly rest?: boolean;
  /** Typed as text: the flag's name, `no` for `--no` (default: the option's name, also read). */
  readonly flag?: string;
  /** Typed as text: further flag names read as this option. */
  readonly aliases?: readonly string[];
  /** Typed as text: how a typed value is read (`1024 × 768` is `1024x768`). */
  readonly fromText?: (typed: string) => string;
};

type ValueOf<S> = S extends { readonly type: 'boolean' }
  ? boolean
  : S extends { readonly type: 'integer' | 'number' }
    ? number
    : S extends { readonly type: 'choice'; readonly choices: readonly (infer C extends string)[] }
      ? C
      : string;

/** The checked values of a list of options, by name; optional ones may be absent. */
export type OptionValues<O extends readonly OptionSpec[]> = {
  readonly [S in Extract<O[number], { readonly required: true }> as S['name']]: ValueOf<S>;
} & {
  readonly [S in Exclude<O[number], { readonly required: true }> as S['name']]?: ValueOf<S>;
};

export type TextErrorCode =
  | 'help'
  | 'unknown_flag'
  | 'given_twice'
  | 'needs_value'
  | 'missing'
  | 'unknown_subcommand'
  | 'nothing_after'
  | 'needs_pair'
  | 'quote_value'
  | 'not_a_channel';

/** What was wrong with how a command was typed; `typed` is what to name back (a flag, a key). */
export interface TextError {
  readonly code: TextErrorCode;
  readonly typed: string;
}

export type OptionErrorCode =
  | 'unknown_option'
  | 'empty'
  | 'not_a_number'
  | 'not_an_integer'
  | 'out_of_range'
  | 'not_text'
  | 'too_long'
  | 'invalid_characters'
  | 'not_a_boolean'
  | 'not_a_choice'
  | 'not_a_channel';

export interface OptionError<C extends string = OptionErrorCode> {
  readonly code: C;
  /** The option's name, or what was sent when it names no option. */
  readonly key: string;
  /** What would have been accepted, as a phrase: "a number from 0 to 2". */
  readonly allowed: string;
  /** The rejected input, shortened, for messages such as "not `abc`". */
  readonly received?: string;
}

export type OptionValue = string | number | boolean;

export type ValueResult =
  | { readonly ok: true; readonly value: OptionValue }
  | { readonly ok: false; readonly error: OptionError };

export type OptionsResult<V> =
  | { readonly ok: true; readonly values: V }
  | { readonly ok: false; readonly errors: readonly OptionError[] };

/** Longest echo of a rejected input in an error: enough to recognise it, not a wall of text. */
const RECEIVED_MAX = 60;
/** A decimal number as people write it: no hex, no `1_000`, no `Infinity`. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
/** Postgres text cannot hold NUL; other control characters have no place in a prompt either. */
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** Names (model ids are path-like, `org/name`): whitespace means a typo or a paste accident. */
const WHITESPACE = /\s/;
/** A channel's mention: `<#id>`, or Slack's `<#id|name>` (the name may be empty). */
const CHANNEL_MENTION = /^<#([A-Za-z0-9]{1,40})(?:\|[^<>]*)?>$/;
/** The value of a channel option given as `here`: the channel the command runs in. */
export const HERE = 'here';
const TRUE_WORDS = new Set(['true', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'off']);

/** What a value of this option may be, as a phrase: "a number from 0 to 2". */
export function allowedPhrase(spec: ValueSpec): string {
  switch (spec.type) {
    case 'number':
      return spec.minExclusive
        ? `a number greater than ${spec.min} and at most ${spec.max}`
        : `a number from ${spec.min} to ${spec.max}`;
    case 'integer': {
      const range = `a whole number from ${spec.min} to ${spec.max}`;
      return spec.off === undefined ? range : `${range}, or ${spec.off} to turn it off`;
    }
    case 'string': {
      const spaces = spec.noSpaces ? ', without spaces' : '';
      return `${spec.noun ?? 'text'} of 1 to ${spec.maxLength} characters${spaces}`;
    }
    case 'choice':
      return `one of ${spec.choices.join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'channel':
      return `a channel picked from the list as you type #, or ${HERE}`;
  }
}

/** The channel a typed word names: its id, {@link HERE}, or undefined when it names none. */
export function readChannel(typed: string): string | undefined {
  const word = typed.trim();
  if (word.toLowerCase() === HERE) return HERE;
  return CHANNEL_MENTION.exec(word)?.[1];
}

/** Checks one value against its option: the value as stored and sent on, or why not. */
export function checkValue(key: string, spec: ValueSpec, raw: unknown): ValueResult {
  const fail = (code: OptionErrorCode): ValueResult => ({
    ok: false,
    error: { code, key, allowed: allowedPhrase(spec), ...received(raw) },
  });
  const pass = (value: OptionValue): ValueResult => ({ ok: true, value });
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return fail('empty');
  }
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const value = toNumber(raw);
      // NaN, ±Infinity and 1e309 (which parses to Infinity) are not numbers anyone can mean.
      if (value === undefined || !Number.isFinite(value)) return fail('not_a_number');
      if (spec.type === 'integer') {
        if (!Number.isInteger(value)) return fail('not_an_integer');
        if (value === spec.off) return pass(value);
      }
      const aboveMin =
        spec.type === 'number' && spec.minExclusive ? value > spec.min : value >= spec.min;
      if (!aboveMin || value > spec.max) return fail('out_of_range');
      // -0 would be shown as "0" anyway; store the plain zero.
      return pass(value === 0 ? 0 : value);
    }
    case 'string': {
      if (typeof raw !== 'string') return fail('not_text');
      const value = raw.trim();
      if (CONTROL_EXCEPT_WHITESPACE.test(value) || (spec.noSpaces && WHITESPACE.test(value)))
        return fail('invalid_characters');
      if (codePoints(value) > spec.maxLength) return fail('too_long');
      return pass(value);
    }
    case 'choice': {
      const value = typeof raw === 'string' ? raw.trim() : undefined;
      return value !== undefined && spec.choices.includes(value)
        ? pass(value)
        : fail('not_a_choice');
    }
    case 'boolean': {
      const value = toBoolean(raw);
      return value === undefined ? fail('not_a_boolean') : pass(value);
    }
    case 'channel': {
      const value = typeof raw === 'string' ? readChannel(raw) : undefined;
      return value === undefined ? fail('not_a_channel') : pass(value);
    }
  }
}

/**
 * Checks what a command was given against its options: every value, or every
 * error (a missing required option, a bad value, a name it does not have).
 */
export function checkOptions<const O extends readonly OptionSpec[]>(
  specs: O,
  raw: Readonly<Record<string, unknown>>,
): OptionsResult<OptionValues<O>> {
  const values: Record<string, OptionValue> = {};
  const errors: OptionError[] = [];
  for (const spec of specs) {
    if (raw[spec.name] === undefined && !spec.required) continue;
    const result = checkValue(spec.name, spec, raw[spec.name]);
    if (result.ok) values[spec.name] = result.value;
    else errors.push(result.error);
  }
  const names = specs.map((spec) => spec.name);
  for (const key of Object.keys(raw)) {
    if (names.includes(key)) continue;
    errors.push({
      code: 'unknown_option',
      key: shorten(key),
      allowed: names.length > 0 ? `one of ${names.join(', ')}` : 'no options',
    });
  }
  // Each value was checked against its own option above, so the record is well typed.
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, values: values as OptionValues<O> };
}

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    return DECIMAL.test(text) ? Number(text) : undefined;
  }
  return undefined;
}

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

/** At most RECEIVED_MAX characters, an ellipsis marking the cut. */
export function shorten(text: string): string {
  const chars = Array.from(text);
  return chars.length > RECEIVED_MAX ? `${chars.slice(0, RECEIVED_MAX - 1).join('')}…` : text;
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
