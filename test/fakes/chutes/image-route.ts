import type { ServerResponse } from 'node:http';
import { pause, sendBytes, sendJson } from './http.js';
import { encodeJpeg } from './jpeg.js';
import { encodePng } from './png.js';
import type { ImageRequestBody, ScriptedImage } from './types.js';

export type ImageBody = ImageRequestBody;

/** Chutes' DiffusionInput defaults, and what the drawn image depends on. */
function imageShape(body: ImageBody) {
  const width = body.width ?? 1024;
  const height = body.height ?? 1024;
  const seed = [body.prompt, body.negative_prompt ?? '', body.seed ?? null, width, height];
  return { width, height, seed };
}

/** The bytes an unscripted request for `body` is answered with (`bytes-jpeg`): tests compare against them. */
export function imageBytes(body: ImageBody): Buffer {
  const { width, height, seed } = imageShape(body);
  return encodeJpeg(width, height, seed);
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
  const { width, height, seed } = imageShape(body);
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
