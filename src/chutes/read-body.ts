import type { ChutesError } from './errors.js';

/**
 * Reads a body until it ends or passes `maxBytes`; returns what was read and
 * whether it passed (the rest is not read: the stream is cancelled).
 */
async function readUpTo(
  res: Response,
  maxBytes: number,
): Promise<{ readonly bytes: Buffer; readonly over: boolean }> {
  if (!res.body) return { bytes: Buffer.alloc(0), over: false };
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(parts, size), over: false };
    parts.push(value);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(parts, size), over: true };
    }
  }
}

/**
 * The whole body as bytes, refusing more than `maxBytes` (checked against Content-Length
 * first, then while reading, since a chunked answer announces no length).
 */
export async function readBytes(
  res: Response,
  maxBytes: number,
  tooLarge: () => ChutesError,
): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const { bytes, over } = await readUpTo(res, maxBytes);
  if (over) throw tooLarge();
  return bytes;
}

/** Like readBytes but decoded as UTF-8; an over-long body is cut rather than refused. */
export async function readText(res: Response, maxBytes: number): Promise<string> {
  const { bytes } = await readUpTo(res, maxBytes);
  return bytes.subarray(0, maxBytes).toString('utf8');
}
