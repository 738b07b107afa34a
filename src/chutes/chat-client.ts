import { AbortScope, type Phase } from './abort-scope.js';
import { buildChatBody } from './chat-request.js';
import { ChatStreamDecoder } from './chat-stream-decoder.js';
import type { ChatRequest, ChatStreamEvent } from './chat-types.js';
import { ChutesError } from './errors.js';
import { chutesErrorFromResponse } from './http-errors.js';
import { modelInfoOf, ModelListSchema, type ModelInfo } from './model-info.js';
import { MAX_ERROR_BODY_BYTES, postToChutes } from './post.js';
import { readText } from './read-body.js';

export type { ChatMessage, ChatRequest, ChatStreamEvent, SamplingParams } from './chat-types.js';

export interface ChutesClientOptions {
  /** OpenAI-compatible base URL, without the trailing path: `https://llm.chutes.ai/v1`. */
  baseUrl: string;
  /** Chutes API key, sent as `Authorization: Bearer`; never logged nor put in error messages. */
  apiKey: string;
  /**
   * Image generation endpoint. Not used by the chat client: it lets one options object
   * configure both clients. Default for ChutesImageClient: `https://image.chutes.ai/generate`.
   */
  imageUrl?: string;
  /** Fetch implementation (tests, proxies). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * Longest wait for the response headers, in ms. Chutes holds the headers back until the
   * model's first chunk (so it can still answer 429/503), so this covers queueing and
   * cold starts too. Default: 30 000.
   */
  connectTimeoutMs?: number;
  /** Longest silence between two reads of the stream, in ms. Default: 60 000. */
  idleTimeoutMs?: number;
}

export const CHAT_CLIENT_DEFAULTS = {
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
} as const satisfies Required<Pick<ChutesClientOptions, 'connectTimeoutMs' | 'idleTimeoutMs'>>;

/** Error bodies are quoted, never processed whole. */

/**
 * Streams chat completions from Chutes (`POST {baseUrl}/chat/completions`, SSE). It does not
 * retry: failures are ChutesErrors whose `retryable` and `retryAfterMs` the queue acts on.
 * Aborting the caller's signal rejects with the signal's own reason.
 */
export class ChutesChatClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetch: typeof fetch;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;

  constructor(opts: ChutesClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? CHAT_CLIENT_DEFAULTS.connectTimeoutMs;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? CHAT_CLIENT_DEFAULTS.idleTimeoutMs;
  }

  async *streamChat(req: ChatRequest, signal?: AbortSignal): AsyncIterable<ChatStreamEvent> {
    const operation = `Chat completion with ${req.model}`;
    const scope = new AbortScope(signal);
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let phase: Phase = 'connect';
    try {
      scope.arm(this.connectTimeoutMs, `no response headers within ${this.connectTimeoutMs} ms`);
      const res = await postToChutes({
        fetch: this.fetch,
        url: `${this.baseUrl}/chat/completions`,
        apiKey: this.apiKey,
        accept: 'text/event-stream',
        body: buildChatBody(req),
        signal: scope.signal,
        operation,
        model: req.model,
      });
      phase = 'body';
      const type = res.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream') || !res.body) {
        const text = await readText(res, MAX_ERROR_BODY_BYTES);
        throw new ChutesError(
          'bad_response',
          `${operation}: Chutes answered ${type || 'without a content type'} (${text.length} chars) instead of an event stream.`,
          { status: res.status },
        );
      }
      scope.disarm();

      const decoder = new ChatStreamDecoder([this.apiKey]);
      const utf8 = new TextDecoder('utf-8');
      reader = res.body.getReader();
      while (!decoder.done) {
        // Armed only while waiting on the network: a slow consumer is not an idle server.
        scope.arm(this.idleTimeoutMs, `no data for ${this.idleTimeoutMs} ms mid-stream`);
        const { done, value } = await reader.read();
        scope.disarm();
        if (done) {
          const last = utf8.decode();
          yield* decoder.push(last);
          if (decoder.error) throw decoder.error;
          yield* decoder.end();
          return;
        }
        yield* decoder.push(utf8.decode(value, { stream: true }));
        if (decoder.error) throw decoder.error;
      }
    } catch (err) {
      throw scope.toError(err, phase, operation);
    } finally {
      scope.dispose();
      // Stops the download once [DONE] arrived, the consumer broke off, or it failed.
      reader?.cancel().catch(() => undefined);
    }
  }

  /**
   * Model ids from `GET {baseUrl}/models`, which Chutes serves without auth;
   * `withKey` sends the API key too, so a refused key fails (`unauthorized`).
   */
  async listModels(signal?: AbortSignal, { withKey = false } = {}): Promise<string[]> {
    return (await this.listModelInfos(signal, { withKey })).map((model) => model.id);
  }

  /** Each model of `GET {baseUrl}/models` with its modalities, prices and context length. */
  async listModelInfos(signal?: AbortSignal, { withKey = false } = {}): Promise<ModelInfo[]> {
    const operation = withKey ? 'Checking CHUTES_API_KEY' : 'Listing Chutes models';
    const scope = new AbortScope(signal);
    let phase: Phase = 'connect';
    try {
      scope.arm(this.connectTimeoutMs, `no answer within ${this.connectTimeoutMs} ms`);
      const res = await this.fetch(`${this.baseUrl}/models`, {
        headers: {
          Accept: 'application/json',
          ...(withKey ? { Authorization: `Bearer ${this.apiKey}` } : {}),
        },
        signal: scope.signal,
      });
      phase = 'body';
      const text = await readText(res, 8 * 1024 * 1024);
      if (!res.ok) {
        throw chutesErrorFromResponse(res.status, res.headers, text, {
          operation,
          secrets: [this.apiKey],
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const parsed = ModelListSchema.safeParse(json);
      if (!parsed.success) {
        throw new ChutesError('bad_response', `${operation}: the answer is not a model list.`, {
          status: res.status,
        });
      }
      return parsed.data.data.map(modelInfoOf);
    } catch (err) {
      throw scope.toError(err, phase, operation);
    } finally {
      scope.dispose();
    }
  }
}
