import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

type Schema = Record<string, unknown>;

function loadSchema(name: string): Schema {
  return JSON.parse(readFileSync(new URL(`./schemas/${name}`, import.meta.url), 'utf8')) as Schema;
}

/**
 * The schema with every object that lists its properties made closed. The published schema
 * leaves objects open, but a field the server does not know is either ignored or refused
 * depending on the chute; the fake refuses, so a client sending extras is caught here.
 */
export function closeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) out[key] = closeSchema(value);
  if (out.properties !== undefined && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

/** Chutes' DiffusionInput (chutes-api invocation router), `extra = "forbid"`, plus `model`. */
export const IMAGE_REQUEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['model', 'prompt'],
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1 },
    prompt: { type: 'string' },
    negative_prompt: { type: 'string' },
    width: { type: 'integer', minimum: 128, maximum: 2048 },
    height: { type: 'integer', minimum: 128, maximum: 2048 },
    // Chutes lowers too many steps to the model's maximum instead of refusing them.
    num_inference_steps: { type: 'integer', minimum: 1 },
    guidance_scale: { type: 'number', minimum: 1, maximum: 20 },
    seed: { anyOf: [{ type: 'integer', minimum: 0, maximum: 4294967295 }, { type: 'null' }] },
  },
} as const;

export interface Validators {
  chatRequest: ValidateFunction;
  chatChunk: ValidateFunction;
  imageRequest: ValidateFunction;
}

/**
 * The published chunk schema without the thinking fields reasoning models stream: vLLM's
 * DeltaMessage has `reasoning_content` (and, in newer versions, `reasoning`), string or null,
 * when the chute runs a reasoning parser (vllm `entrypoints/openai/protocol.py`).
 */
function withReasoning(schema: Schema): Schema {
  const definitions = schema.definitions as Record<string, Schema>;
  const delta = definitions.DeltaMessage!;
  const text = { anyOf: [{ type: 'string' }, { type: 'null' }], default: null };
  return {
    ...schema,
    definitions: {
      ...definitions,
      DeltaMessage: {
        ...delta,
        properties: {
          ...(delta.properties as Schema),
          reasoning_content: text,
          reasoning: text,
        },
      },
    },
  };
}

export function createValidators(): Validators {
  // strict off: the schemas carry `title`/`default` next to `$ref` and `const` next to `enum`.
  const ajv = new Ajv({ strict: false, allErrors: true });
  return {
    chatRequest: ajv.compile(
      closeSchema(loadSchema('chat-completion-request.schema.json')) as Schema,
    ),
    chatChunk: ajv.compile(
      closeSchema(withReasoning(loadSchema('chat-completion-chunk.schema.json'))) as Schema,
    ),
    imageRequest: ajv.compile(IMAGE_REQUEST_SCHEMA),
  };
}

export function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map(
      (e) =>
        `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}${
          e.keyword === 'additionalProperties' ? `: ${String(e.params.additionalProperty)}` : ''
        }`,
    )
    .join('; ');
}
