/** Slack's answers mapped to the core's SurfaceError codes. */
import { ErrorCode, type WebAPICallError } from '@slack/web-api';
import { SurfaceError } from '../../core/surface.js';

/** Errors of the streaming methods that mean "no native stream here or any more": post + update instead. */
const STREAM_REFUSED = new Set([
  'feature_not_enabled',
  'invalid_arguments',
  'missing_recipient_user_id',
  'missing_recipient_team_id',
  'streaming_mode_mismatch',
  'message_not_in_streaming_state',
  'streaming_not_enabled',
  'not_allowed_token_type',
  'method_deprecated',
  'unknown_method',
]);

const GONE = new Set([
  'channel_not_found',
  'message_not_found',
  'thread_not_found',
  'is_archived',
  'user_not_found',
]);

const FORBIDDEN = new Set([
  'not_in_channel',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'missing_scope',
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'ekm_access_denied',
  'team_access_not_granted',
]);

/** The platform error code of a failed Web API call, if Slack answered with one. */
export function slackErrorCode(error: unknown): string | undefined {
  const coded = error as Partial<WebAPICallError> | undefined;
  if (coded?.code === ErrorCode.PlatformError) return coded.data?.error;
  if (coded?.code === ErrorCode.RateLimitedError) return 'ratelimited';
  return undefined;
}

export function toSurfaceError(error: unknown, method: string, streaming = false): SurfaceError {
  // Already sorted (no installation for the workspace: tenant-client.ts).
  if (error instanceof SurfaceError) return error;
  const code = slackErrorCode(error);
  const what = `Slack ${method}: ${code ?? (error instanceof Error ? error.message : String(error))}`;
  if (code === 'stopped_by_user') return new SurfaceError('stopped', what, { cause: error });
  // chat.update of a message whose stream is still open.
  if (code === 'streaming_state_conflict')
    return new SurfaceError('still_streaming', what, { cause: error });
  if (streaming && code && STREAM_REFUSED.has(code))
    return new SurfaceError('stream_refused', what, { cause: error });
  if (code && GONE.has(code)) return new SurfaceError('gone', what, { cause: error });
  if (code && FORBIDDEN.has(code)) return new SurfaceError('forbidden', what, { cause: error });
  if (code && code !== 'ratelimited' && !code.startsWith('internal_') && code !== 'fatal_error')
    return new SurfaceError('rejected', what, { cause: error });
  return new SurfaceError('transient', what, { cause: error });
}

/** Runs one Web API call; its failure becomes a SurfaceError. */
export async function call<T>(
  method: string,
  request: () => Promise<T>,
  streaming = false,
): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw toSurfaceError(error, method, streaming);
  }
}
