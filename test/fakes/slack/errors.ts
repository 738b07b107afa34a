/**
 * A Web API refusal: Slack answers HTTP 200 `{ ok: false, error: code }` for
 * everything except rate limits (429), so handlers throw this and the server
 * turns it into that body.
 */
export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    /** Extra fields Slack adds next to `error` (e.g. `response_metadata`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

export const fail = (code: string, detail?: string): SlackApiError =>
  new SlackApiError(code, detail ? { response_metadata: { messages: [`[ERROR] ${detail}`] } } : {});
