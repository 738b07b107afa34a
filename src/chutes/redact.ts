const REDACTED = '[redacted]';

/** Longest server text quoted in an error message. */
export const MAX_DETAIL_CHARS = 240;

/**
 * Removes credentials from text that will end up in logs: the given secrets verbatim, any
 * bearer token, and anything shaped like a Chutes key (`cpk_…`), which servers sometimes
 * echo back in their error text.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(/\bBearer\s+[^\s"',;]+/gi, `Bearer ${REDACTED}`)
    .replace(/\bcpk_[A-Za-z0-9._-]+/g, REDACTED);
}

/** One line, trimmed, cut to `max` characters: server text is quoted, never dumped. */
export function shorten(text: string, max = MAX_DETAIL_CHARS): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
