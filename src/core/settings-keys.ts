/**
 * The per-tenant settings users see, as data: the one source the validators,
 * `/settings show` and the platforms' command definitions are built from.
 * Keys are the Chutes (vLLM) request names, snake_case, in display order.
 */

export const SETTING_KEYS = [
  'model',
  'temperature',
  'top_p',
  'max_tokens',
  'system_prompt',
  'image_model',
  'top_k',
  'min_p',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'forget_admin_only',
  'daily_token_limit',
  'daily_image_limit',
  'daily_user_token_limit',
  'daily_user_image_limit',
] as const;

export type SettingKey = (typeof SETTING_KEYS)[number];

interface SpecBase {
  /** One line for command help; at most 100 characters (Discord's option description limit). */
  readonly description: string;
}

/** A real number in [min, max], or (min, max] when `minExclusive`. */
export interface NumberSpec extends SpecBase {
  readonly kind: 'number';
  readonly min: number;
  readonly max: number;
  readonly minExclusive: boolean;
}

/** A whole number in [min, max], or exactly `off` (a sentinel meaning "disabled"). */
export interface IntegerSpec extends SpecBase {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
  readonly off?: number;
}

/** Free text, trimmed, 1 to `maxLength` characters (code points). */
export interface TextSpec extends SpecBase {
  readonly kind: 'text';
  readonly maxLength: number;
}

/**
 * A model name. `catalog: 'chat'` names are checked against the Chutes model
 * list when the caller has it; image models are not in that list.
 */
export interface ModelSpec extends SpecBase {
  readonly kind: 'model';
  readonly maxLength: number;
  readonly catalog: 'chat' | 'image';
}

export interface BooleanSpec extends SpecBase {
  readonly kind: 'boolean';
}

export type SettingSpec = NumberSpec | IntegerSpec | TextSpec | ModelSpec | BooleanSpec;
export type SettingKind = SettingSpec['kind'];

/**
 * Ranges follow what vLLM/SGLang (behind Chutes) accept, narrowed where a wider
 * value is legal but useless or harmful in a chat bot:
 * - top_p and repetition_penalty: vLLM rejects 0 (top_p must be in (0, 1],
 *   repetition_penalty > 0), so 0 is excluded here rather than failing at answer time.
 * - repetition_penalty ≤ 2: vLLM has no upper bound, but above 2 answers degrade into noise.
 * - max_tokens ≤ 131072: the longest context any current Chutes model offers; the model
 *   still refuses requests that exceed its own window, which reaches users as a clear error.
 * - top_k ≤ 1000: vLLM only bounds it by the vocabulary; beyond a few hundred it no longer
 *   changes the answer, and -1 is the way to turn it off.
 * - system_prompt ≤ 4000 characters: fits one Discord message and leaves room for history.
 */
export const SETTING_SPECS = {
  model: {
    kind: 'model',
    maxLength: 200,
    catalog: 'chat',
    description: 'Chat model that answers mentions (a Chutes model name)',
  },
  temperature: {
    kind: 'number',
    min: 0,
    max: 2,
    minExclusive: false,
    description: 'Randomness: 0 is focused and repeatable, 2 is very random',
  },
  top_p: {
    kind: 'number',
    min: 0,
    max: 1,
    minExclusive: true,
    description:
      'Nucleus sampling: pick only from the likeliest tokens whose probabilities add up to this',
  },
  max_tokens: {
    kind: 'integer',
    min: 1,
    max: 131_072,
    description: 'Longest answer, in tokens',
  },
  system_prompt: {
    kind: 'text',
    maxLength: 4000,
    description: 'Instructions the model reads before every conversation',
  },
  image_model: {
    kind: 'model',
    maxLength: 200,
    catalog: 'image',
    description: 'Model that /imagine uses (a Chutes image model name)',
  },
  top_k: {
    kind: 'integer',
    min: 1,
    max: 1000,
    off: -1,
    description: 'Pick only from the k likeliest tokens; -1 turns this off',
  },
  min_p: {
    kind: 'number',
    min: 0,
    max: 1,
    minExclusive: false,
    description: 'Drop tokens less likely than this fraction of the likeliest one',
  },
  frequency_penalty: {
    kind: 'number',
    min: -2,
    max: 2,
    minExclusive: false,
    description: 'Above 0 discourages tokens the more often they already appeared',
  },
  presence_penalty: {
    kind: 'number',
    min: -2,
    max: 2,
    minExclusive: false,
    description: 'Above 0 discourages tokens that already appeared at all',
  },
  repetition_penalty: {
    kind: 'number',
    min: 0,
    max: 2,
    minExclusive: true,
    description: 'Above 1 discourages repeating the prompt and answer, below 1 encourages it',
  },
  forget_admin_only: {
    kind: 'boolean',
    description: 'Whether only admins may use /forget',
  },
  daily_token_limit: {
    kind: 'integer',
    min: 1,
    max: 1_000_000_000,
    off: 0,
    description: 'Most tokens of answers per UTC day for everyone here together; 0 means no limit',
  },
  daily_image_limit: {
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    off: 0,
    description: 'Most /imagine images per UTC day for everyone here together; 0 means no limit',
  },
  daily_user_token_limit: {
    kind: 'integer',
    min: 1,
    max: 1_000_000_000,
    off: 0,
    description: 'Most tokens of answers per UTC day for each member here; 0 means no limit',
  },
  daily_user_image_limit: {
    kind: 'integer',
    min: 1,
    max: 1_000_000,
    off: 0,
    description: 'Most /imagine images per UTC day for each member here; 0 means no limit',
  },
} as const satisfies { readonly [K in SettingKey]: SettingSpec };

type ValueOf<S extends SettingSpec> = S extends BooleanSpec
  ? boolean
  : S extends NumberSpec | IntegerSpec
    ? number
    : string;

/** The type of each setting's validated value. */
export type SettingValues = {
  readonly [K in SettingKey]: ValueOf<(typeof SETTING_SPECS)[K]>;
};
export type SettingValue = SettingValues[SettingKey];

/** Validated new values, keyed by setting; what the settings store accepts. */
export type SettingChanges = Partial<SettingValues>;

/**
 * The canonical key for what a user typed: Slack users type `top-p`, `Top_P`
 * or `topP`; Discord sends the option name as defined.
 */
export function resolveSettingKey(raw: string): SettingKey | undefined {
  const normalized = raw
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-\s]+/g, '_');
  return (SETTING_KEYS as readonly string[]).includes(normalized)
    ? (normalized as SettingKey)
    : undefined;
}

/** What a value of this setting may be, as a phrase: "a number from 0 to 2". */
export function allowedPhrase(spec: SettingSpec): string {
  switch (spec.kind) {
    case 'number':
      return spec.minExclusive
        ? `a number greater than ${spec.min} and at most ${spec.max}`
        : `a number from ${spec.min} to ${spec.max}`;
    case 'integer': {
      const range = `a whole number from ${spec.min} to ${spec.max}`;
      return spec.off === undefined ? range : `${range}, or ${spec.off} to turn it off`;
    }
    case 'text':
      return `text of 1 to ${spec.maxLength} characters`;
    case 'model':
      return `a model name of 1 to ${spec.maxLength} characters, without spaces`;
    case 'boolean':
      return 'true or false';
  }
}
