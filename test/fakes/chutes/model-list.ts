/**
 * The fake's `GET /v1/models` entries, shaped like llm.chutes.ai's: each model
 * with `input_modalities`, `output_modalities`, `context_length`,
 * `max_output_length`, `supported_features` and `pricing` (USD per million
 * tokens), plus the legacy `price` and `max_model_len` fields older clients read.
 * A model may be given by its id alone (text only, the defaults below) or with
 * its own fields. (PLATFORM-FACTS.md, Chutes: the models list.)
 */

/** One chat model the fake serves. */
export interface FakeModel {
  id: string;
  /** Default `['text']`; `['text', 'image']` for a vision model. */
  input_modalities?: string[];
  /** USD per million tokens. Default `{ prompt: 0.2, completion: 0.8 }`. */
  pricing?: { prompt: number; completion: number };
  /** Default 65 536. */
  context_length?: number;
  /** Default: the context length. */
  max_output_length?: number;
  supported_features?: string[];
}

export const FAKE_MODEL_DEFAULTS = {
  input_modalities: ['text'],
  pricing: { prompt: 0.2, completion: 0.8 },
  context_length: 65_536,
} as const;

export function modelId(model: string | FakeModel): string {
  return typeof model === 'string' ? model : model.id;
}

/** A model's entry as Chutes lists it. */
export function modelEntry(model: string | FakeModel, created: number): Record<string, unknown> {
  const m = typeof model === 'string' ? { id: model } : model;
  const pricing = m.pricing ?? FAKE_MODEL_DEFAULTS.pricing;
  const context = m.context_length ?? FAKE_MODEL_DEFAULTS.context_length;
  return {
    id: m.id,
    root: m.id,
    object: 'model',
    created,
    owned_by: 'vllm',
    input_modalities: m.input_modalities ?? [...FAKE_MODEL_DEFAULTS.input_modalities],
    output_modalities: ['text'],
    context_length: context,
    max_model_len: context,
    max_output_length: m.max_output_length ?? context,
    supported_features: m.supported_features ?? ['json_mode', 'tools'],
    pricing: { prompt: pricing.prompt, completion: pricing.completion },
    price: {
      input: { usd: pricing.prompt, tao: pricing.prompt / 400 },
      output: { usd: pricing.completion, tao: pricing.completion / 400 },
    },
  };
}

/**
 * How a served model answers right now: `cold`, no instance up (503 before
 * any chunk); `overloaded`, at capacity (429 `infra_overload`); `no_balance`,
 * the account's balance is used up (402). Unset: it answers.
 */
export type ModelState = 'cold' | 'overloaded' | 'no_balance';

export function stateError(model: string, state: ModelState): { status: number; body: unknown } {
  switch (state) {
    case 'cold':
      return {
        status: 503,
        body: { detail: `No instances available (yet) for chute_id=fake-${model}` },
      };
    case 'overloaded':
      return {
        status: 429,
        body: {
          detail: 'Infrastructure is at maximum capacity, try again later',
          code: 'infra_overload',
        },
      };
    case 'no_balance':
      return {
        status: 402,
        body: {
          detail: 'Quota exceeded and account balance is $0.0, please pay with fiat or send tao.',
        },
      };
  }
}
