import { z } from 'zod';

/*
 * The stream chunk schema (test/fakes/chutes/schemas/chat-completion-chunk.schema.json) made
 * lenient: unknown fields pass (stop_reason, …) and the fields the bot does
 * not read may be missing, so a proxy that trims them does not break answers.
 */

const Usage = z.looseObject({
  prompt_tokens: z.number().int().nullish(),
  completion_tokens: z.number().int().nullish(),
  total_tokens: z.number().int().nullish(),
});

const Delta = z.looseObject({
  role: z.string().nullish(),
  content: z.string().nullish(),
  /** A reasoning model's thinking (vLLM's and SGLang's reasoning parsers). */
  reasoning_content: z.string().nullish(),
  /** The same, as newer vLLM names it. */
  reasoning: z.string().nullish(),
});

const Choice = z.looseObject({
  index: z.number().int().default(0),
  delta: Delta.nullish(),
  finish_reason: z.string().nullish(),
});

export const ChatChunkSchema = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z.array(Choice),
  usage: Usage.nullish(),
});

export type ChatChunk = z.infer<typeof ChatChunkSchema>;
export type ChunkUsage = z.infer<typeof Usage>;
