import { AbortScope, type Phase } from './abort-scope.js';
import { ChutesError } from './errors.js';
import { chutesErrorFromResponse } from './http-errors.js';
import { decodeBase64, detectImagePayload, isJsonContentType } from './image-payload.js';
import { sniffImageType, type ImageMime } from './image-sniff.js';
import { MAX_ERROR_BODY_BYTES, postToChutes } from './post.js';
import { readBytes, readText } from './read-body.js';

export interface ImageRequest {
  model: string;
  prompt: string;
  /** Pixels, 128–2048 on Chutes' diffusion chutes. */
  width: number;
  height: number;
  negativePrompt?: string;
  seed?: number;
  /** `num_inference_steps`; Chutes caps it per model (50, FLUX-1.dev 30). */
  steps?: number;
  /** `guidance_scale`, 1–20 on Chutes' diffusion chutes. */
  guidanceScale?: number;
}

export interface GeneratedImage {
  bytes: Buffer;
  /** Read from the magic bytes, not from the server's Content-Type. */
  mime: ImageMime;
  extension: string;
}

export interface ChutesImageClientOptions {
  /** Image generation endpoint. Default in config: `https://image.chutes.ai/generate`. */
  imageUrl: string;
  /** Chutes API key, sent as `Authorization: Bearer`; never in error messages. */
  apiKey: string;
  /** Fetch implementation (tests, proxies). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /**
   * Deadline for the whole generation in ms: the POST, its body and, for a `{data: [{url}]}`
   * answer, downloading the image. Default: 120 000.
   */
  timeoutMs?: number;
  /** Largest image accepted, in bytes. Default: 25 MiB (Discord's request limit). */
  maxBytes?: number;
}

export const IMAGE_CLIENT_DEFAULTS = {
  timeoutMs: 120_000,
  maxBytes: 25 * 1024 * 1024,
} as const satisfies Required<Pick<ChutesImageClientOptions, 'timeoutMs' | 'maxBytes'>>;

/** The POST body in Chutes' diffusion field names; undefined fields are left out. */
export function buildImageBody(req: ImageRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: req.model,
    prompt: req.prompt,
    width: req.width,
    height: req.height,
    negative_prompt: req.negativePrompt,
    seed: req.seed,
    num_inference_steps: req.steps,
    guidance_scale: req.guidanceScale,
  };
  // Chutes' diffusion input forbids extra fields, and null is not "absent" there.
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body;
}

/**
 * Generates one image with Chutes. Accepts the raw bytes (`image/*`, what the diffusion
 * template returns) and the OpenAI images shape (`b64_json` or `url`). Does not retry.
 */
export class ChutesImageClient {
  private readonly imageUrl: string;
  private readonly apiKey: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(opts: ChutesImageClientOptions) {
    this.imageUrl = opts.imageUrl;
    this.apiKey = opts.apiKey;
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? IMAGE_CLIENT_DEFAULTS.timeoutMs;
    this.maxBytes = opts.maxBytes ?? IMAGE_CLIENT_DEFAULTS.maxBytes;
  }

  async generateImage(req: ImageRequest, signal?: AbortSignal): Promise<GeneratedImage> {
    const operation = `Image generation with ${req.model}`;
    const scope = new AbortScope(signal);
    let phase: Phase = 'connect';
    try {
      scope.arm(this.timeoutMs, `no image within ${this.timeoutMs} ms`);
      const res = await postToChutes({
        fetch: this.fetch,
        url: this.imageUrl,
        apiKey: this.apiKey,
        accept: 'image/*, application/json',
        body: buildImageBody(req),
        signal: scope.signal,
        operation,
        model: req.model,
      });
      phase = 'body';
      const bytes = isJsonContentType(res.headers.get('content-type'))
        ? await this.fromJson(res, scope, operation)
        : await readBytes(res, this.maxBytes, () => this.tooLarge(operation));
      const type = sniffImageType(bytes);
      if (!type) {
        throw new ChutesError(
          'bad_response',
          `${operation}: Chutes answered ${bytes.length} bytes that are not a PNG, JPEG, WebP or GIF image.`,
          { status: res.status },
        );
      }
      return { bytes, ...type };
    } catch (err) {
      throw scope.toError(err, phase, operation);
    } finally {
      scope.dispose();
    }
  }

  private async fromJson(res: Response, scope: AbortScope, operation: string): Promise<Buffer> {
    // base64 is 4/3 of the bytes, plus room for the JSON around it.
    const jsonLimit = Math.ceil((this.maxBytes * 4) / 3) + 64 * 1024;
    const text = await readBytes(res, jsonLimit, () => this.tooLarge(operation));
    let json: unknown;
    try {
      json = JSON.parse(text.toString('utf8'));
    } catch {
      json = undefined;
    }
    const payload = detectImagePayload(json);
    if (!payload) {
      throw new ChutesError(
        'bad_response',
        `${operation}: Chutes answered JSON without data[0].b64_json or data[0].url.`,
        { status: res.status },
      );
    }
    if (payload.kind === 'b64') {
      const bytes = decodeBase64(payload.data);
      if (!bytes) {
        throw new ChutesError('bad_response', `${operation}: data[0].b64_json is not base64.`);
      }
      if (bytes.length > this.maxBytes) {
        throw new ChutesError(
          'bad_response',
          `${operation}: the image is larger than ${this.maxBytes} bytes.`,
        );
      }
      return bytes;
    }
    return this.download(payload.url, scope, operation);
  }

  private async download(rawUrl: string, scope: AbortScope, operation: string): Promise<Buffer> {
    let url: URL;
    try {
      url = new URL(rawUrl, this.imageUrl);
    } catch {
      throw new ChutesError('bad_response', `${operation}: data[0].url is not a URL.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ChutesError('bad_response', `${operation}: data[0].url is not an http(s) URL.`);
    }
    // The key goes only back to the server that issued it, never to a CDN or bucket.
    const sameOrigin = url.origin === new URL(this.imageUrl).origin;
    let res: Response;
    try {
      res = await this.fetch(url, {
        headers: sameOrigin ? { Authorization: `Bearer ${this.apiKey}` } : {},
        signal: scope.signal,
      });
    } catch (err) {
      throw scope.toError(err, 'connect', `${operation} (downloading the image)`);
    }
    if (!res.ok) {
      const text = await readText(res, MAX_ERROR_BODY_BYTES);
      throw chutesErrorFromResponse(res.status, res.headers, text, {
        operation: `${operation} (downloading the image)`,
        secrets: [this.apiKey],
      });
    }
    return readBytes(res, this.maxBytes, () => this.tooLarge(operation));
  }

  private tooLarge(operation: string): ChutesError {
    return new ChutesError(
      'bad_response',
      `${operation}: the image is larger than maxBytes (${this.maxBytes} bytes); ask for a smaller size or raise maxBytes.`,
    );
  }
}
