/**
 * Discord's CDN links are signed and expire: `?ex=<expiry, hex seconds>&is=<issued,
 * hex seconds>&hm=<signature>` (Discord's 2023-12 change to attachment links). A link
 * whose signature does not match, or whose `ex` has passed, answers 404, as the CDN
 * does ("This content is no longer available."); the bot token is not needed.
 */
import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { StoredAttachment } from './types.js';

/** How long a link works from when the message was delivered. */
export const CDN_LINK_TTL_MS = 24 * 60 * 60_000;
const SECRET = 'fake-discord-cdn';

const hex = (ms: number) => Math.floor(ms / 1000).toString(16);

function signature(path: string, ex: string, is: string): string {
  return createHmac('sha256', SECRET).update(`${path}|${ex}|${is}`).digest('hex');
}

/** The signed query of a link to `path`, issued at `now`. */
export function signedQuery(path: string, now: number): string {
  const ex = hex(now + CDN_LINK_TTL_MS);
  const is = hex(now);
  return `ex=${ex}&is=${is}&hm=${signature(path, ex, is)}&`;
}

/** Serves an attachment's bytes for a valid, unexpired link; 404 otherwise. Returns the status. */
export function serveCdn(
  url: URL,
  file: StoredAttachment | undefined,
  res: ServerResponse,
  now = Date.now(),
): number {
  const ex = url.searchParams.get('ex') ?? '';
  const is = url.searchParams.get('is') ?? '';
  const hm = url.searchParams.get('hm') ?? '';
  const valid = hm !== '' && hm === signature(url.pathname, ex, is);
  if (!file || !valid || parseInt(ex, 16) * 1000 <= now) {
    res
      .writeHead(404, { 'Content-Type': 'text/plain' })
      .end('This content is no longer available.');
    return 404;
  }
  res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': file.size });
  res.end(file.bytes);
  return 200;
}
