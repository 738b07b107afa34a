import { createHmac } from 'node:crypto';

/** How a test wants one delivery signed; the default is correct signing now. */
export interface SigningOptions {
  /** Sign with this secret instead of the real one: the service must answer 401. */
  secret?: string;
  /** Shift the timestamp by this many seconds (negative = in the past); -360 is the stale case. */
  skewSeconds?: number;
  /** Send no signature headers at all. */
  unsigned?: boolean;
}

/** Seconds in the past `stale: true` signs with: past the 5-minute window receivers allow. */
export const STALE_SECONDS = 6 * 60;

/**
 * Slack's request signature: `v0=` + hex HMAC-SHA256 of
 * `v0:{timestamp}:{raw body}` keyed with the signing secret, timestamp in
 * seconds, both sent as headers.
 */
export function signatureHeaders(
  secret: string,
  body: string,
  opts: SigningOptions = {},
  nowMs = Date.now(),
): Record<string, string> {
  if (opts.unsigned) return {};
  const timestamp = Math.floor(nowMs / 1000) + (opts.skewSeconds ?? 0);
  const hmac = createHmac('sha256', opts.secret ?? secret)
    .update(`v0:${timestamp}:${body}`)
    .digest('hex');
  return {
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': `v0=${hmac}`,
  };
}
