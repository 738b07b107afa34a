/**
 * The per-tenant settings users see, as data: the one source the validators,
 * `/settings show` and the `/settings set` options are built from.
 * Keys are the Chutes (vLLM) request names, snake_case, in display order.
 */
import type { ValueSpec } from './commands/options.js';

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

/** How a setting is given and checked: it is a `/settings set` option (commands/options.ts). */
export type SettingSpec = ValueSpec;

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
    type: 'string',
    maxLength: 200,
    noSpaces: true,
    noun: 'a model name',
    catalog: 'chat-models',
    description: 'Chat model that answers mentions (a Chutes model name)',
  },
  temperature: {
    type: 'number',
    min: 0,
    max: 2,
    description: 'Randomness: 0 is focused and repeatable, 2 is very random',
  },
  top_p: {
    type: 'number',
    min: 0,
    max: 1,
    minExclusive: true,
    description:
      'Nucleus sampling: pick only from the likeliest tokens whose probabilities add up to this',
  },
  max_tokens: {
    type: 'integer',
    min: 1,
    max: 131_072,
    description: 'Longest answer, in tokens',
  },
  system_prompt: {
    type: 'string',
    maxLength: 4000,
    description: 'Instructions the model reads before every conversation',
  },
  image_model: {
    type: 'string',
    maxLength: 200,
    noSpaces: true,
    noun: 'a model name',
    description: 'Model that /imagine uses (a Chutes image model name)',
  },
  top_k: {
    type: 'integer',
    min: 1,
    max: 1000,
    off: -1,
    description: 'Pick only from the k likeliest tokens; -1 turns this off',
  },
  min_p: {
    type: 'number',
    min: 0,
    max: 1,
    description: 'Drop tokens less likely than this fraction of the likeliest one',
  },
  frequency_penalty: {
    type: 'number',
    min: -2,
    max: 2,
    description: 'Above 0 discourages tokens the more often they already appeared',
  },
  presence_penalty: {
    type: 'number',
    min: -2,
    max: 2,
    description: 'Above 0 discourages tokens that already appeared at all',
  },
  repetition_penalty: {
    type: 'number',
    min: 0,
    max: 2,
    minExclusive: true,
    description: 'Above 1 discourages repeating the prompt and answer, below 1 encourages it',
  },
  forget_admin_only: {
    type: 'boolean',
    description: 'Whether only admins may use /forget',
  },
  daily_token_limit: {
    type: 'integer',
    min: 1,
    max: 1_000_000_000,
    off: 0,
    description: 'Most tokens of answers per UTC day for everyone here together; 0 means no limit',
  },
  daily_image_limit: {
    type: 'integer',
    min: 1,
    max: 1_000_000,
    off: 0,
    description: 'Most /imagine images per UTC day for everyone here together; 0 means no limit',
  },
  daily_user_token_limit: {
    type: 'integer',
    min: 1,
    max: 1_000_000_000,
    off: 0,
    description: 'Most tokens of answers per UTC day for each member here; 0 means no limit',
  },
  daily_user_image_limit: {
    type: 'integer',
    min: 1,
    max: 1_000_000,
    off: 0,
    description: 'Most /imagine images per UTC day for each member here; 0 means no limit',
  },
} as const satisfies { readonly [K in SettingKey]: SettingSpec };

type ValueOf<S extends SettingSpec> = S extends { readonly type: 'boolean' }
  ? boolean
  : S extends { readonly type: 'number' | 'integer' }
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
