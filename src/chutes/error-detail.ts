import { redact, shorten } from './redact.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: Json | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    // FastAPI validation errors: [{loc: ['body', 'width'], msg: '…'}]
    const parts = value.map((item) => {
      if (!isRecord(item)) return describeValue(item) ?? '';
      const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== 'body').join('.') : '';
      const msg = describeValue(item.msg ?? item.message) ?? JSON.stringify(item);
      return loc ? `${loc}: ${msg}` : msg;
    });
    return parts.filter(Boolean).join('; ') || undefined;
  }
  if (isRecord(value)) {
    // Chutes passes SGLang/vLLM error objects through as `detail`: {message, type, code}.
    return describeValue(value.message ?? value.msg ?? value.detail) ?? JSON.stringify(value);
  }
  return String(value);
}

/** The human part of a JSON error body: `detail`, `error.message`, `error` or `message`. */
export function detailFromJson(body: unknown): string | undefined {
  if (!isRecord(body)) return typeof body === 'string' ? body : undefined;
  return describeValue(body.detail) ?? describeValue(body.error) ?? describeValue(body.message);
}

/**
 * What the server said went wrong, short and without secrets, or undefined when the body says
 * nothing useful. An nginx error page is reduced to its `<title>`.
 */
export function extractErrorDetail(
  bodyText: string,
  secrets: readonly string[] = [],
): string | undefined {
  const text = bodyText.trim();
  if (!text) return undefined;
  let detail: string | undefined;
  try {
    detail = detailFromJson(JSON.parse(text));
  } catch {
    if (text.startsWith('<')) {
      const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
      detail = title ?? text.replace(/<[^>]*>/g, ' ');
    } else {
      detail = text;
    }
  }
  if (!detail) return undefined;
  const short = shorten(redact(detail, secrets));
  return short || undefined;
}

const REFUSAL_PATTERNS: readonly RegExp[] = [
  /\b(prompt|content|input|message|request)s?\b.{0,60}\b(reject|refus|flag|block|moderat|unsafe|inappropriate|violat|prohibit|not allowed)/i,
  /\bcontent[ _-]?(policy|filter|moderation|management)\b/i,
  /\b(safety|moderation) (system|filter|check|policy)\b/i,
  /\bnsfw\b/i,
];

/** Whether a 400/422 text reads like a refused prompt rather than a malformed request. */
export function looksLikePromptRejection(detail: string | undefined): boolean {
  return detail !== undefined && REFUSAL_PATTERNS.some((pattern) => pattern.test(detail));
}
