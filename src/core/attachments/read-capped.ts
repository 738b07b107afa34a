/** Reads a download with a cap: nothing past it is fetched. */

/** The file is larger than the cap: nothing of it is used. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the file is larger than ${limit} bytes`);
  }
}

/**
 * The body of `response`, at most `limit` bytes. A larger body (said by
 * Content-Length, or found while reading) is refused with TooLargeError, or,
 * with `truncate`, read up to the cap and marked `cut`. The connection is
 * closed at the cap, so nothing past it is downloaded.
 */
export async function readCapped(
  response: Response,
  limit: number,
  { truncate = false } = {},
): Promise<{ bytes: Buffer; cut: boolean }> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (!truncate && Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new TooLargeError(limit);
  }
  const reader = response.body?.getReader();
  if (!reader) return { bytes: Buffer.alloc(0), cut: false };
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks, total), cut: false };
      if (total + value.byteLength > limit) {
        if (!truncate) throw new TooLargeError(limit);
        chunks.push(Buffer.from(value.buffer, value.byteOffset, limit - total));
        return { bytes: Buffer.concat(chunks, limit), cut: true };
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
