export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A part of a message in the OpenAI form: text, or an image (an http(s) or `data:` URL). */
export type ContentPart =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image_url'; readonly image_url: { readonly url: string } };

/** A question with images: its text and image parts (only for models that take images). */
export interface PartsMessage {
  role: 'user';
  content: readonly ContentPart[];
}

/** The Chutes (vLLM/SGLang) sampling parameters the bot lets admins set. */
export interface SamplingParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  top_k?: number;
  min_p?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  repetition_penalty?: number;
  seed?: number;
}

export interface ChatRequest extends SamplingParams {
  model: string;
  messages: (ChatMessage | PartsMessage)[];
}

export type ChatStreamEvent =
  | { type: 'delta'; content: string }
  /**
   * A reasoning model's thinking, sent apart from the answer (`reasoning_content`, or
   * `reasoning` on newer servers). Thinking written inside `<think>` tags in the
   * content arrives as `delta`: the core separates it (core/reasoning/).
   */
  | { type: 'reasoning'; content: string }
  /** `finish_reason` of the choice: `stop`, `length`, … */
  | { type: 'finish'; reason: string }
  | { type: 'usage'; promptTokens: number; completionTokens: number; totalTokens: number };
