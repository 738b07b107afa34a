import { chutesErrorFromResponse } from './http-errors.js';
import { readText } from './read-body.js';

/** Error bodies are read up to this size: enough for any `detail`, never a flood. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface ChutesPost {
  readonly fetch: typeof fetch;
  readonly url: string;
  readonly apiKey: string;
  readonly accept: string;
  readonly body: unknown;
  readonly signal: AbortSignal;
  /** "Chat completion with <model>": how errors name the call. */
  readonly operation: string;
  readonly model: string;
}

/** POSTs JSON with the bearer key; a non-2xx answer becomes the mapped ChutesError. */
export async function postToChutes(post: ChutesPost): Promise<Response> {
  const res = await post.fetch(post.url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${post.apiKey}`,
      'Content-Type': 'application/json',
      Accept: post.accept,
    },
    body: JSON.stringify(post.body),
    signal: post.signal,
  });
  if (!res.ok) {
    const text = await readText(res, MAX_ERROR_BODY_BYTES);
    throw chutesErrorFromResponse(res.status, res.headers, text, {
      operation: post.operation,
      model: post.model,
      secrets: [post.apiKey],
    });
  }
  return res;
}
