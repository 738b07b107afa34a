import type { ChatRequest, SamplingParams } from './chat-types.js';

/** Every sampling key the Chutes request schema defines; anything else is never sent. */
export const SAMPLING_KEYS = [
  'temperature',
  'top_p',
  'max_tokens',
  'top_k',
  'min_p',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'seed',
] as const satisfies readonly (keyof SamplingParams)[];

/**
 * The JSON body for POST /chat/completions. Built key by key rather than spread, so stray
 * properties on the caller's object (settings rows, `stream_options`) never reach Chutes, and
 * undefined values are left out. `stream_options` is not in the schema: Chutes adds
 * `include_usage` by itself for streamed requests.
 */
export function buildChatBody(req: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: req.model,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
  };
  for (const key of SAMPLING_KEYS) {
    const value = req[key];
    if (value !== undefined) body[key] = value;
  }
  body.stream = true;
  return body;
}
