import type { ServerResponse } from 'node:http';
import { pause, sendBytes, sendJson } from './http.js';
import { encodeJpeg } from './jpeg.js';
import { encodePng } from './png.js';
import type { ScriptedImage } from './types.js';

export interface ImageBody {
  model: string;
  prompt: string;
  width?: number;
  height?: number;
  negative_prompt?: string;
  seed?: number | null;
}

export interface ImageSink {
  /** Remembers the bytes as the last image served. */
  served(bytes: Buffer): void;
  /** Stores bytes for `GET /files/<id>` and returns that URL. */
  publish(bytes: Buffer): string;
}

/** Answers a valid image request like Chutes' diffusion chutes (or an OpenAI-shaped one). */
export async function answerImage(
  res: ServerResponse,
  body: ImageBody,
  script: ScriptedImage,
  sink: ImageSink,
): Promise<void> {
  if (!(await pause(script.delayMs ?? 0, res))) return;
  // Chutes' DiffusionInput defaults.
  const width = body.width ?? 1024;
  const height = body.height ?? 1024;
  const seed = [body.prompt, body.negative_prompt ?? '', body.seed ?? null, width, height];
  const mode = script.mode ?? 'bytes-jpeg';
  if (mode === 'not-an-image') {
    // A mislabelled error page: the header says PNG, the bytes do not.
    sendBytes(res, 'image/png', Buffer.from('<html><body>502 Bad Gateway</body></html>'));
    return;
  }
  const jpeg = mode === 'bytes-jpeg';
  const bytes = jpeg
    ? encodeJpeg(width, height, seed, script.sizeBytes)
    : encodePng(width, height, seed, script.sizeBytes);
  sink.served(bytes);
  const created = Math.floor(Date.now() / 1000);
  if (mode === 'b64_json') {
    sendJson(res, 200, { created, data: [{ b64_json: bytes.toString('base64') }] });
  } else if (mode === 'url') {
    sendJson(res, 200, { created, data: [{ url: sink.publish(bytes) }] });
  } else {
    sendBytes(res, jpeg ? 'image/jpeg' : 'image/png', bytes);
  }
}
