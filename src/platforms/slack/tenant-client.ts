/**
 * A WebClient for one workspace in OAuth mode: it holds no token, and every
 * Web API call (file uploads included) is made with the token the
 * installation store gives for that workspace at the time of the call. With
 * no installation (never installed, uninstalled, tokens revoked) the call
 * fails before anything is sent, with a SurfaceError that is not retried.
 *
 * Slack revokes a token before its `tokens_revoked` / `app_uninstalled`
 * events arrive: a call refused with `token_revoked` (or `account_inactive`)
 * in between removes the installation too (`onRevoked`), so that no other
 * call is made with that token.
 */
import { WebClient, type WebAPICallResult, type WebClientOptions } from '@slack/web-api';
import { SurfaceError } from '../../core/surface.js';
import { slackErrorCode } from './errors.js';

/** The workspace's bot token now, or undefined when the app is not installed there. */
export type TokenSource = () => Promise<string | undefined>;

/** Slack's answers that mean the token will never work again. */
const REVOKED = new Set(['token_revoked', 'account_inactive']);

type FilesUploadV2 = WebClient['filesUploadV2'];

export class TenantWebClient extends WebClient {
  constructor(
    readonly workspaceId: string,
    private readonly tokenSource: TokenSource,
    options: WebClientOptions,
    /** Told of a token Slack refused for good. */
    private readonly onRevoked?: (token: string) => Promise<void>,
  ) {
    super(undefined, options);
  }

  /** The token for this call; throws when the workspace has no installation. */
  async currentToken(): Promise<string> {
    const token = await this.tokenSource();
    if (token) return token;
    throw new SurfaceError(
      'forbidden',
      `Slack workspace ${this.workspaceId} has no installation of the app (uninstalled, or its tokens revoked): ` +
        'nothing is sent there until it is installed again through /slack/install',
    );
  }

  override async apiCall(
    method: string,
    options: Record<string, unknown> = {},
  ): Promise<WebAPICallResult> {
    // files.uploadV2 goes through filesUploadV2 below, which gets its token there.
    if (options['token'] || method === 'files.uploadV2') return super.apiCall(method, options);
    const token = await this.currentToken();
    try {
      return await super.apiCall(method, { ...options, token });
    } catch (error) {
      const code = slackErrorCode(error);
      if (code && REVOKED.has(code)) await this.onRevoked?.(token).catch(() => undefined);
      throw error;
    }
  }

  override async filesUploadV2(options: Parameters<FilesUploadV2>[0]): ReturnType<FilesUploadV2> {
    const token = options.token ?? (await this.currentToken());
    return super.filesUploadV2({ ...options, token });
  }
}

/** The bot token of a client: its own, or its workspace's current one. */
export async function botTokenOf(client: WebClient): Promise<string> {
  if (client instanceof TenantWebClient) return client.currentToken();
  return client.token ?? '';
}
