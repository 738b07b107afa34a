/** Pieces every fake platform server uses. */
import type { IncomingMessage } from 'node:http';

/**
 * Reads the whole body but stops keeping it past `limit`: draining instead of
 * cutting the socket lets the client read the 413 instead of seeing a reset.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Polls `check` until it gives a truthy value, and returns it; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  fake: string,
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what?: string,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) {
      throw new Error(`${fake} waitFor timed out after ${timeoutMs} ms${what ? `: ${what}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
