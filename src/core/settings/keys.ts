/**
 * Every per-tenant setting, one entry each, in display order: the one table
 * the `/settings set` options, validation, `/settings show`, the settings in
 * force and the database mapping are derived from. Keys are the Chutes (vLLM)
 * request names, snake_case.
 *
 * Adding a setting is an entry here; one with a column of its own also needs
 * its StoredSettings field, the column in db/schema.ts and a migration
 * (test/unit/settings-table.test.ts checks that table and schema agree).
 */
import type { SamplingParams } from '../../chutes/chat-types.js';
import type { BooleanSpec, IntegerSpec, NumberSpec, StringSpec } from '../commands/options.js';
import { DEFAULT_SUGGESTED_PROMPTS } from './suggested-prompts.js';
import type { ColumnField, Defaults, EffectiveSettings, Quotas, StoredSettings } from './types.js';

/** How a setting is given and checked (commands/options.ts); its description is the entry's. */
export type SettingSpec =
  | Omit<StringSpec, 'description'>
  | Omit<IntegerSpec, 'description'>
  | Omit<NumberSpec, 'description'>
  | Omit<BooleanSpec, 'description'>;

/** The fields of EffectiveSettings that hold one setting each. */
export type EffectiveField = Exclude<keyof EffectiveSettings, 'quotas' | 'sampling'>;

/** One setting, any setting: what code that goes through the table reads. */
export interface SettingEntry {
  /** Its line in `/settings set`'s options, /help and Discord's picker: 1 to 100 characters. */
  readonly description: string;
  readonly spec: SettingSpec;
  /**
   * Where a tenant's value is kept: a StoredSettings field (a `tenant_settings`
   * column named like the key), or `extra` (jsonb, under the key's own name).
   */
  readonly stored: { readonly column: ColumnField } | 'extra';
  /**
   * Where the value in force goes: `sampling`, the sampling parameter of the
   * key's own name sent to Chutes; a daily `quota` (0: no limit); or a `field`
   * of EffectiveSettings the jobs read (the model, the system prompt, …).
   */
  readonly effective:
    'sampling' | { readonly quota: keyof Quotas } | { readonly field: EffectiveField };
  /**
   * What is in force while the tenant stored nothing: a field of the
   * environment's Defaults, or a fixed value. Without one nothing is in force:
   * the model's own default for a sampling parameter, no limit for a quota.
   */
  readonly default?:
    { readonly env: keyof Defaults } | { readonly value: string | number | boolean };
  /**
   * Set for the whole tenant only: a channel cannot have its own value. Every
   * other setting may be set per channel, and a channel's value wins there
   * (effective.ts); a thread has its parent channel's.
   */
  readonly tenantOnly?: true;
}

type ValueOf<S> = S extends { readonly type: 'boolean' }
  ? boolean
  : S extends { readonly type: 'number' | 'integer' }
    ? number
    : string;

/** The fields of T whose values (null aside) are exactly V. */
type FieldsHolding<T, V> = {
  [F in keyof T]-?: [NonNullable<T[F]>] extends [V]
    ? [V] extends [NonNullable<T[F]>]
      ? F
      : never
    : never;
}[keyof T];

/** Sent to Chutes, or kept in `extra`, under the key's own name: numbers of its request schema. */
type SamplingName<K, V> = K extends keyof SamplingParams ? (V extends number ? K : never) : never;

/**
 * SettingEntry narrowed to one setting of key K and value V, so that the
 * compiler checks every place the entry names holds a V.
 */
type EntryOf<K, V> = Omit<SettingEntry, 'stored' | 'effective' | 'default'> & {
  readonly stored:
    | { readonly column: FieldsHolding<Pick<StoredSettings, ColumnField>, V> }
    | (SamplingName<K, V> extends never ? never : 'extra');
  readonly default?: { readonly env: FieldsHolding<Defaults, V> } | { readonly value: V };
} & (
    | {
        readonly effective:
          | (SamplingName<K, V> extends never ? never : 'sampling')
          | (V extends number ? { readonly quota: keyof Quotas } : never);
      }
    | {
        readonly effective: {
          readonly field: FieldsHolding<Pick<EffectiveSettings, EffectiveField>, V>;
        };
        /** A field of EffectiveSettings always has a value. */
        readonly default: unknown;
      }
  );

type Table<T> = {
  readonly [K in keyof T]: EntryOf<K, T[K] extends { readonly spec: infer S } ? ValueOf<S> : never>;
};

function defineSettings<const T extends Table<T>>(table: T): T {
  return table;
}

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
export const SETTINGS = defineSettings({
  model: {
    description: 'Chat model that answers mentions (a Chutes model name)',
    spec: {
      type: 'string',
      maxLength: 200,
      noSpaces: true,
      noun: 'a model name',
      catalog: 'chat-models',
    },
    stored: { column: 'model' },
    effective: { field: 'model' },
    default: { env: 'model' },
  },
  fallback_models: {
    description:
      'Models that answer, in this order, when the model has no instance up or no capacity; none: off',
    spec: {
      type: 'string',
      maxLength: 1000,
      noun: 'Chutes model names separated by commas, or none,',
      catalog: 'chat-model-list',
    },
    stored: { column: 'fallbackModels' },
    effective: { field: 'fallbackModels' },
    default: { value: '' },
  },
  temperature: {
    description: 'Randomness: 0 is focused and repeatable, 2 is very random',
    spec: { type: 'number', min: 0, max: 2 },
    stored: { column: 'temperature' },
    effective: 'sampling',
    default: { env: 'temperature' },
  },
  top_p: {
    description:
      'Nucleus sampling: pick only from the likeliest tokens whose probabilities add up to this',
    spec: { type: 'number', min: 0, max: 1, minExclusive: true },
    stored: { column: 'topP' },
    effective: 'sampling',
  },
  max_tokens: {
    description: 'Longest answer, in tokens',
    spec: { type: 'integer', min: 1, max: 131_072 },
    stored: { column: 'maxTokens' },
    effective: 'sampling',
    default: { env: 'maxTokens' },
  },
  system_prompt: {
    description: 'Instructions the model reads before every conversation',
    spec: { type: 'string', maxLength: 4000 },
    stored: { column: 'systemPrompt' },
    effective: { field: 'systemPrompt' },
    default: { env: 'systemPrompt' },
  },
  image_model: {
    description: 'Model that /imagine uses (a Chutes image model name)',
    spec: { type: 'string', maxLength: 200, noSpaces: true, noun: 'a model name' },
    stored: { column: 'imageModel' },
    effective: { field: 'imageModel' },
    default: { env: 'imageModel' },
  },
  vision_model: {
    description: 'Model that answers questions with images when the chat model cannot see them',
    spec: {
      type: 'string',
      maxLength: 200,
      noSpaces: true,
      noun: 'a model name',
      catalog: 'chat-models',
    },
    stored: { column: 'visionModel' },
    effective: { field: 'visionModel' },
    // Empty: none; a question with images to a model that cannot see them says so.
    default: { value: '' },
  },
  top_k: {
    description: 'Pick only from the k likeliest tokens; -1 turns this off',
    spec: { type: 'integer', min: 1, max: 1000, off: -1 },
    stored: 'extra',
    effective: 'sampling',
  },
  min_p: {
    description: 'Drop tokens less likely than this fraction of the likeliest one',
    spec: { type: 'number', min: 0, max: 1 },
    stored: 'extra',
    effective: 'sampling',
  },
  frequency_penalty: {
    description: 'Above 0 discourages tokens the more often they already appeared',
    spec: { type: 'number', min: -2, max: 2 },
    stored: 'extra',
    effective: 'sampling',
  },
  presence_penalty: {
    description: 'Above 0 discourages tokens that already appeared at all',
    spec: { type: 'number', min: -2, max: 2 },
    stored: 'extra',
    effective: 'sampling',
  },
  repetition_penalty: {
    description: 'Above 1 discourages repeating the prompt and answer, below 1 encourages it',
    spec: { type: 'number', min: 0, max: 2, minExclusive: true },
    stored: 'extra',
    effective: 'sampling',
  },
  forget_admin_only: {
    description: 'Whether only admins may use /forget',
    spec: { type: 'boolean' },
    stored: { column: 'forgetAdminOnly' },
    effective: { field: 'forgetAdminOnly' },
    default: { value: false },
    // Who may forget is one rule for everyone here.
    tenantOnly: true,
  },
  reply_in_thread: {
    description: 'Discord: answer a mention in a channel in a new thread named after the question',
    spec: { type: 'boolean' },
    stored: { column: 'replyInThread' },
    effective: { field: 'replyInThread' },
    default: { value: false },
  },
  show_reasoning: {
    description: 'Reasoning models: show a short summary of the thinking above the answer',
    spec: { type: 'boolean' },
    stored: { column: 'showReasoning' },
    effective: { field: 'showReasoning' },
    default: { value: false },
  },
  suggested_prompts: {
    description: 'Slack assistant threads: prompts offered when one starts, separated by |',
    spec: { type: 'string', maxLength: 1000 },
    stored: { column: 'suggestedPrompts' },
    effective: { field: 'suggestedPrompts' },
    default: { value: DEFAULT_SUGGESTED_PROMPTS },
    // The prompts belong to the app's assistant pane, which has no channel.
    tenantOnly: true,
  },
  daily_token_limit: {
    description: 'Most tokens of answers per UTC day for everyone here together; 0 means no limit',
    spec: { type: 'integer', min: 1, max: 1_000_000_000, off: 0 },
    stored: { column: 'dailyTokenLimit' },
    effective: { quota: 'dailyTokens' },
    // A quota counts the whole tenant's use, wherever it is asked.
    tenantOnly: true,
  },
  daily_image_limit: {
    description: 'Most /imagine images per UTC day for everyone here together; 0 means no limit',
    spec: { type: 'integer', min: 1, max: 1_000_000, off: 0 },
    stored: { column: 'dailyImageLimit' },
    effective: { quota: 'dailyImages' },
    // A quota counts the whole tenant's use, wherever it is asked.
    tenantOnly: true,
  },
  daily_user_token_limit: {
    description: 'Most tokens of answers per UTC day for each member here; 0 means no limit',
    spec: { type: 'integer', min: 1, max: 1_000_000_000, off: 0 },
    stored: { column: 'dailyUserTokenLimit' },
    effective: { quota: 'memberTokens' },
    // A quota counts the whole tenant's use, wherever it is asked.
    tenantOnly: true,
  },
  daily_user_image_limit: {
    description: 'Most /imagine images per UTC day for each member here; 0 means no limit',
    spec: { type: 'integer', min: 1, max: 1_000_000, off: 0 },
    stored: { column: 'dailyUserImageLimit' },
    effective: { quota: 'memberImages' },
    // A quota counts the whole tenant's use, wherever it is asked.
    tenantOnly: true,
  },
});

export type SettingKey = keyof typeof SETTINGS;

/** Every setting's key, in display order. */
export const SETTING_KEYS = Object.keys(SETTINGS) as readonly SettingKey[];

/** The settings a channel may have its own value of: all but the tenant-only ones. */
export const CHANNEL_KEYS: readonly SettingKey[] = SETTING_KEYS.filter(
  (key) => !settingEntry(key).tenantOnly,
);

/** The type of each setting's validated value. */
export type SettingValues = {
  readonly [K in SettingKey]: ValueOf<(typeof SETTINGS)[K]['spec']>;
};
export type SettingValue = SettingValues[SettingKey];

/** Validated new values, keyed by setting; what the settings store accepts. */
export type SettingChanges = Partial<SettingValues>;

/** Each setting as a `/settings set` option spec (commands/options.ts), description included. */
export const SETTING_SPECS = Object.fromEntries(
  SETTING_KEYS.map((key) => [
    key,
    { ...SETTINGS[key].spec, description: SETTINGS[key].description },
  ]),
) as {
  readonly [K in SettingKey]: (typeof SETTINGS)[K]['spec'] & { readonly description: string };
};

/** The entry of one setting, read as any setting's. */
export function settingEntry(key: SettingKey): SettingEntry {
  return SETTINGS[key];
}

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
