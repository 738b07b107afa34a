/**
 * One chat model as `GET /v1/models` describes it, typed: what it takes as
 * input, what it costs and how much it reads. Chutes lists these per model
 * where known (`input_modalities`, `pricing.prompt`/`pricing.completion` in
 * USD per million tokens, `context_length`); older entries carry `price`
 * (`input.usd`/`output.usd`) or `max_model_len` instead, and some carry none.
 *
 * @see https://llm.chutes.ai/v1/models
 */
import { z } from 'zod';

/** USD per million tokens, as the models list gives them. */
export interface ModelPricing {
  readonly prompt: number;
  readonly completion: number;
}

export interface ModelInfo {
  readonly id: string;
  /** What the model reads: `text`, `image`, … (`['text']` where the list says nothing). */
  readonly inputModalities: readonly string[];
  /** Undefined where the list gives no price. */
  readonly pricing?: ModelPricing;
  /** Tokens of prompt and answer together; undefined where the list gives none. */
  readonly contextLength?: number;
}

/** A price may come as a number or a numeric string; anything else counts as none. */
const Price = z
  .union([z.number(), z.string().regex(/^\d+(\.\d+)?(e-?\d+)?$/i)])
  .transform(Number)
  .pipe(z.number().nonnegative().finite());

const Length = z.number().int().positive();

/** Lenient on purpose: a malformed field is dropped, never the whole list. */
const ModelEntry = z.looseObject({
  id: z.string(),
  input_modalities: z.array(z.string()).optional().catch(undefined),
  pricing: z.looseObject({ prompt: Price, completion: Price }).optional().catch(undefined),
  price: z
    .looseObject({
      input: z.looseObject({ usd: Price }),
      output: z.looseObject({ usd: Price }),
    })
    .optional()
    .catch(undefined),
  context_length: Length.optional().catch(undefined),
  max_model_len: Length.optional().catch(undefined),
});

export const ModelListSchema = z.looseObject({ data: z.array(ModelEntry) });

type Entry = z.infer<typeof ModelEntry>;

/** The typed info of one entry of the list. */
export function modelInfoOf(entry: Entry): ModelInfo {
  const pricing = entry.pricing
    ? { prompt: entry.pricing.prompt, completion: entry.pricing.completion }
    : entry.price
      ? { prompt: entry.price.input.usd, completion: entry.price.output.usd }
      : undefined;
  const contextLength = entry.context_length ?? entry.max_model_len;
  return {
    id: entry.id,
    inputModalities: entry.input_modalities?.length ? entry.input_modalities : ['text'],
    ...(pricing ? { pricing } : {}),
    ...(contextLength !== undefined ? { contextLength } : {}),
  };
}

/** Whether a model reads images. */
export function takesImages(info: Pick<ModelInfo, 'inputModalities'>): boolean {
  return info.inputModalities.includes('image');
}

/** What `tokens` cost at a model's prices, in USD; undefined without prices. */
export function costUsd(
  pricing: ModelPricing | undefined,
  tokens: { readonly promptTokens: number; readonly completionTokens: number },
): number | undefined {
  if (!pricing) return undefined;
  return (
    (tokens.promptTokens * pricing.prompt + tokens.completionTokens * pricing.completion) / 1e6
  );
}
