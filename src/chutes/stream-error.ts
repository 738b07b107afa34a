import { detailFromJson } from './error-detail.js';
import { ChutesError } from './errors.js';
import { redact, shorten } from './redact.js';

const OVERLOAD_TEXT =
  /infra_overload|no_targets|overload|no instances|capacity|maintenance|too many requests/i;

function numericCode(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/**
 * The error carried inside a stream, or undefined for an ordinary chunk. Shapes seen:
 * vLLM/SGLang `{error: {message, type, code}}` and `{object: 'error', message, code}`, and
 * Chutes' own `{error: "Unhandled exception during response stream: …"}` once it has
 * already sent a 200.
 */
export function errorFromStreamPayload(
  payload: unknown,
  secrets: readonly string[] = [],
): ChutesError | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const record = payload as Record<string, unknown>;
  const isError =
    (record.error !== undefined && record.error !== null) || record.object === 'error';
  if (!isError) return undefined;

  const inner = record.error ?? record;
  const status = numericCode(
    typeof inner === 'object' && inner !== null
      ? (inner as Record<string, unknown>).code
      : undefined,
  );
  const detail = shorten(redact(detailFromJson({ error: inner }) ?? 'no details', secrets));

  if (status === 429 || status === 503 || OVERLOAD_TEXT.test(detail)) {
    return new ChutesError(
      'overloaded',
      `Chutes reported overload inside the stream: ${detail}. Retry later.`,
      { status },
    );
  }
  // A 4xx inside the stream is about this request and will fail again; anything else is the
  // instance failing mid-answer, which another attempt usually gets past.
  const retryable = status === undefined || status >= 500;
  return new ChutesError('bad_response', `Chutes reported an error inside the stream: ${detail}.`, {
    status,
    retryable,
  });
}
