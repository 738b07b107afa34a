/**
 * The models list shown where models are chosen: each model's price and
 * whether it takes images (Discord's autocomplete, the line after a refused
 * model name), and the stored models the list no longer holds (`/settings
 * show`, for admins). Pure: the list is given.
 */
import { takesImages, type ModelInfo } from '../chutes/model-info.js';
import { valueInForce } from './settings/effective.js';
import { SETTING_KEYS, SETTING_SPECS, type SettingKey } from './settings/keys.js';
import type { Defaults, StoredLayers } from './settings/types.js';
import { modelList } from './settings/validate.js';
import { missingModelText } from './user-messages.js';

/** A price per million tokens: `$0.2`, `$0.03`, `free`. */
function perMillion(usd: number): string {
  return `$${Number(usd.toPrecision(3))}`;
}

/** What a model costs and reads, after its name: `$0.2/$0.8 per M tokens · images`. */
export function modelTraits(info: Pick<ModelInfo, 'pricing' | 'inputModalities'>): string {
  const { pricing } = info;
  const price = !pricing
    ? 'price unknown'
    : pricing.prompt === 0 && pricing.completion === 0
      ? 'free'
      : `${perMillion(pricing.prompt)}/${perMillion(pricing.completion)} per M tokens`;
  return takesImages(info) ? `${price} · images` : `${price} · text only`;
}

/** An autocomplete choice: what the person reads, and the value the option gets. */
export interface ModelChoice {
  readonly name: string;
  readonly value: string;
}

/**
 * The choices for what someone is typing into an option naming a model
 * (`chat-models`) or a list of them (`chat-model-list`: the last name is
 * completed, the ones before it kept). Names and values fit Discord's 100
 * characters; each name shows the model's price and whether it takes images.
 */
export function modelCompletions(
  infos: readonly ModelInfo[],
  typed: string,
  kind: 'chat-models' | 'chat-model-list',
  max = 25,
): ModelChoice[] {
  const parts = kind === 'chat-model-list' ? typed.split(',') : [typed];
  const partial = (parts.pop() ?? '').trim().toLowerCase();
  const before = parts.map((part) => part.trim()).filter((part) => part !== '');
  const prefix = before.length > 0 ? `${before.join(', ')}, ` : '';
  const limit = 100;
  return infos
    .filter((info) => info.id.toLowerCase().includes(partial) && !before.includes(info.id))
    .map((info) => {
      const value = `${prefix}${info.id}`;
      const name = `${value} · ${modelTraits(info)}`;
      return { value, name: Array.from(name).length <= limit ? name : value };
    })
    .filter((choice) => Array.from(choice.value).length <= limit)
    .slice(0, max);
}

/** One line naming models with their traits: `a` ($…) · `b` ($…). */
export function modelsLine(infos: readonly ModelInfo[]): string {
  return infos.map((info) => `\`${info.id}\` (${modelTraits(info)})`).join(' · ');
}

/** The settings whose value names chat models, and the models it names. */
function namedModels(key: SettingKey, value: unknown): string[] {
  const spec = SETTING_SPECS[key];
  if (!('catalog' in spec) || typeof value !== 'string') return [];
  // An empty one (vision_model unset) names no model.
  return spec.catalog === 'chat-model-list' ? modelList(value) : value === '' ? [] : [value];
}

/**
 * One line for each model in force here that the list no longer holds
 * (Chutes renames and retires models): answers with it fail until an admin
 * picks another.
 */
export function missingModelLines(
  layers: StoredLayers,
  defaults: Defaults,
  known: readonly string[],
): string[] {
  const listed = new Set(known);
  return SETTING_KEYS.flatMap((key) =>
    namedModels(key, valueInForce(key, defaults, layers.tenant, layers.channel))
      .filter((model) => !listed.has(model))
      .map((model) => missingModelText(model, key)),
  );
}
