import { extractErrorDetail, looksLikePromptRejection } from './error-detail.js';
import { ChutesError, type ChutesErrorCode } from './errors.js';

/**
 * `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP date. Chutes itself sends
 * none (its nginx 429 pages neither), but a proxy in front of it may.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its day and month; Date.parse alone would read "-5" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The code for an HTTP status, before looking at the body. */
export function codeForStatus(status: number): ChutesErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 402) return 'no_balance';
  if (status === 404) return 'model_not_found';
  if (status === 408) return 'timeout';
  if (status === 429 || status === 503) return 'overloaded';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

export interface ResponseErrorContext {
  /** The model asked for, named in the message of a 404. */
  model?: string;
  /** What was being done, for the message: "chat completion", "image generation", … */
  operation: string;
  /** Strings to scrub from the quoted server text (the API key). */
  secrets?: readonly string[];
  now?: number;
}

function advice(code: ChutesErrorCode, model: string | undefined): string {
  switch (code) {
    case 'unauthorized':
      return 'Chutes refused the API key; check CHUTES_API_KEY (chutes.ai → API keys).';
    case 'no_balance':
      return 'The Chutes account has no balance or quota left; top it up on chutes.ai or pick a free model.';
    case 'model_not_found':
      return `Chutes does not serve model ${model ? `"${model}"` : 'the one asked for'}; pick one Chutes lists (chat models: GET /v1/models; image models: chutes.ai).`;
    case 'overloaded':
      return 'Chutes is overloaded, the model has no instances up or is under maintenance; retry later.';
    case 'prompt_rejected':
      return 'Chutes refused the prompt; the user should rephrase it.';
    case 'bad_request':
      return 'Chutes rejected the request as invalid; check the model settings (max_tokens, temperature, size…).';
    case 'timeout':
      return 'Chutes timed out answering; retry later.';
    default:
      return 'Chutes failed on its side; retry later.';
  }
}

/** Maps a non-2xx answer to a ChutesError. `bodyText` may be empty or an HTML error page. */
export function chutesErrorFromResponse(
  status: number,
  headers: Headers,
  bodyText: string,
  context: ResponseErrorContext,
): ChutesError {
  const detail = extractErrorDetail(bodyText, context.secrets);
  let code = codeForStatus(status);
  if ((status === 400 || status === 422) && looksLikePromptRejection(detail)) {
    code = 'prompt_rejected';
  }
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), context.now);
  const said = detail ? `: ${detail}` : '';
  const wait =
    retryAfterMs !== undefined ? ` Chutes asked to wait ${Math.ceil(retryAfterMs / 1000)} s.` : '';
  const message = `${context.operation} failed with HTTP ${status}${said}. ${advice(code, context.model)}${wait}`;
  return new ChutesError(code, message, { status, retryAfterMs });
}
