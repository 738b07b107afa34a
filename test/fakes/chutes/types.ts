import type { FakeModel, ModelState } from './model-list.js';

/** An error answer the fake gives instead of the normal one. */
export interface ScriptedError {
  status: number;
  /** JSON-encoded unless a string. Default: `{detail: <status text>}`. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ScriptedUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

/** One scripted chat reply; replies are consumed in order, one per valid request. */
export interface ScriptedChat {
  /** Content pieces, one per chunk. Default: `You said: <last user message>` split in words. */
  chunks?: string[];
  /** Pause before each chunk after the first, in ms. */
  chunkDelayMs?: number;
  /** Pause before the headers and the first chunk (Chutes holds the headers back until then). */
  firstChunkDelayMs?: number;
  error?: ScriptedError;
  /** Drops the connection after this many content chunks, with no finish_reason or [DONE]. */
  failAfterChunks?: number;
  /** Default `stop`. */
  finishReason?: string;
  /** Default: derived from the lengths of the prompt and the chunks. */
  usage?: ScriptedUsage;
  /** Sends `data: <error>` after this many content chunks, then ends the stream. */
  streamError?: { afterChunks: number; error: unknown };
  /** Chutes' own mid-stream failure: bare `{"error": "…"}` with no `data:`, then the end. */
  bareErrorAfterChunks?: number;
  /** Writes `: ping` comments between chunks, as proxies keeping the connection open do. */
  keepAlive?: boolean;
  /**
   * How the model streams its thinking before the answer (default: the model's entry in
   * `reasoningModels`; unset there: it does not think).
   */
  reasoningStyle?: ReasoningStyle;
  /** The thinking's pieces. Default: a sentence about the last user message, split in words. */
  thinking?: string[];
}

/**
 * How a reasoning model streams its thinking, as Chutes' inference servers do:
 * - `reasoning_content`: in `delta.reasoning_content`, `content` null (vLLM/SGLang reasoning parsers);
 * - `reasoning`: in `delta.reasoning`, no `content` (newer vLLM);
 * - `think-tags`: inside `<think>…</think>` in `content` (tags cut across chunks);
 * - `think-close-only`: in `content`, ended by `</think>` with no opening tag (DeepSeek-R1
 *   templates put `<think>` into the prompt).
 */
export type ReasoningStyle = 'reasoning_content' | 'reasoning' | 'think-tags' | 'think-close-only';

export type ImageMode = 'bytes-png' | 'bytes-jpeg' | 'b64_json' | 'url' | 'not-an-image';

export interface ScriptedImage {
  /** Default `bytes-jpeg`, what Chutes' diffusion template answers. */
  mode?: ImageMode;
  /** Pause before answering, in ms. */
  delayMs?: number;
  error?: ScriptedError;
  /** Pads the image (a PNG tEXt chunk, JPEG COM segments) to about this many bytes. */
  sizeBytes?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON when it parsed, else the raw text (undefined when empty). */
  body: unknown;
  /** Date.now() when it arrived. */
  at: number;
  /**
   * The body parsed and matched the closed request schema; judged even when auth failed, so
   * a 401 test can still check what was sent. GETs: true.
   */
  valid: boolean;
  /** The schema errors when not valid. */
  errors?: string;
  /** Date.now() when the client hung up before the answer was complete. */
  disconnectedAt?: number;
  /**
   * With `recordChunks`: every content chunk of a streamed chat answer, with Date.now()
   * just before it was written.
   */
  chunks?: SentChunk[];
  /** With `recordChunks`: Date.now() when a streamed chat answer was complete (`[DONE]` sent). */
  endedAt?: number;
}

export interface SentChunk {
  at: number;
  content: string;
}

/** The parts of a valid chat request body a `defaultChat` callback may read (text parts joined). */
export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean | null;
}

/** The parts of a valid image request body a `defaultImage` callback may read. */
export interface ImageRequestBody {
  model: string;
  prompt: string;
  width?: number;
  height?: number;
  negative_prompt?: string;
  seed?: number | null;
}

/** A chat model of the fake's list. */
export interface FakeChutesOptions {
  apiKey: string;
  /**
   * Chat models it serves, by id (text only, default prices and context) or with their
   * modalities, prices and context length. A request to a model given with its own
   * `context_length` whose prompt (cl100k_base, 4 tokens a message) and max_tokens pass it
   * is refused with vLLM's 400. Default `['model-a']`.
   */
  models?: (string | FakeModel)[];
  /**
   * `input_modalities` per chat model, listed in `GET /v1/models` over the model's own
   * (`['text', 'image']` for a vision model). A model without `image` refuses image parts (400).
   */
  inputModalities?: Record<string, string[]>;
  /** Models that answer 503 (cold), 429 (overloaded) or 402 (no balance) from the start. */
  modelStates?: Record<string, ModelState>;
  /** Image models it serves; unset accepts any model name. */
  imageModels?: string[];
  /**
   * The reply for a chat request when no script is queued, built from the request (e.g. an
   * answer that depends on the question). Unset: `You said: <last user message>`.
   */
  defaultChat?: (body: ChatRequestBody) => ScriptedChat;
  /**
   * The reply for an image request when no script is queued, built from the request (e.g. a
   * failure for some prompts). Unset: the image, as `bytes-jpeg`.
   */
  defaultImage?: (body: ImageRequestBody) => ScriptedImage;
  /** Models that think before answering, and how each streams its thinking. */
  reasoningModels?: Record<string, ReasoningStyle>;
  /** Record each streamed chunk's send time on the request (`chunks`, `endedAt`). Default false. */
  recordChunks?: boolean;
}

export interface FakeChutes {
  /** `http://127.0.0.1:PORT/v1` */
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT/generate` */
  readonly imageUrl: string;
  readonly requests: RecordedRequest[];
  /** Exact bytes of the last image generated (served directly, as base64 or by URL). */
  readonly lastImageBytes: Buffer | undefined;
  script(reply: ScriptedChat): void;
  scriptImage(reply: ScriptedImage): void;
  /** Makes a model cold, overloaded or unpaid (answered before any script), or well again. */
  setModelState(model: string, state: ModelState | undefined): void;
  close(): Promise<void>;
}
