/**
 * Files shared with a Slack message: the gateway notes them from the event
 * (`files[]`), a worker downloads them from `url_private` with the bot token,
 * which needs the `files:read` scope. Without it (or with a wrong token) Slack
 * answers with a redirect to its sign-in page rather than an error status, so
 * an HTML page where a file was expected is a refusal.
 */
import type { AttachmentRef } from '../../core/attachments/types.js';

/** The fields of an event's `files[]` entry that matter here. */
export interface SlackFile {
  readonly id?: string;
  readonly name?: string;
  readonly title?: string;
  readonly mimetype?: string;
  readonly size?: number;
  readonly mode?: string;
  readonly url_private?: string;
  readonly url_private_download?: string;
  /** `check_file_info`: the event carries no file details (Slack Connect, large payloads). */
  readonly file_access?: string;
}

/** The files a job carries: hosted files with a private link (not external links, not deleted). */
export function attachmentsOfFiles(files: readonly SlackFile[] | undefined): AttachmentRef[] {
  const out: AttachmentRef[] = [];
  for (const file of files ?? []) {
    const url = file.url_private_download ?? file.url_private;
    if (!url || file.mode === 'external' || file.mode === 'tombstone') continue;
    if (file.file_access === 'check_file_info') continue;
    out.push({
      url,
      name: file.name ?? file.title ?? file.id ?? 'file',
      ...(file.size !== undefined ? { size: file.size } : {}),
      ...(file.mimetype ? { contentType: file.mimetype } : {}),
    });
  }
  return out;
}

/**
 * Who gets the bot token on a download hop: Slack's own hosts (`files.slack.com`,
 * Enterprise Grid's `files-origin.slack.com`, the sign-in page) and the API's
 * host (a test or enterprise server) do; Slack's file CDNs (`*.slack-edge.com`,
 * `slack-files.com`), whose links Slack presigns, get none; any other host is
 * not fetched at all.
 */
function tokenFor(url: URL, apiUrl: string): 'token' | 'presigned' | undefined {
  if (url.host === new URL(apiUrl).host && /^https?:$/.test(url.protocol)) return 'token';
  if (url.protocol !== 'https:') return undefined;
  const host = url.hostname.toLowerCase();
  const under = (domain: string) => host === domain || host.endsWith(`.${domain}`);
  if (under('slack.com')) return 'token';
  if (under('slack-edge.com') || under('slack-files.com')) return 'presigned';
  return undefined;
}

/** Redirects followed for one file: Slack sends some files on to its CDN, some twice. */
const MAX_REDIRECTS = 3;

/**
 * Downloads a shared file with the bot token. Slack answers some links with a
 * redirect (to `files-origin.slack.com` on Enterprise Grid, to a presigned CDN
 * link for some types), so redirects are followed by hand: fetch would drop
 * the token on a cross-origin hop, or carry it where it must not go.
 */
export async function fetchSlackFile(
  file: AttachmentRef,
  token: string,
  apiUrl: string,
  signal: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<Response> {
  let url = new URL(file.url);
  for (let hop = 0; ; hop++) {
    const auth = tokenFor(url, apiUrl);
    if (!auth)
      throw new Error(
        hop === 0
          ? 'the file link is not a Slack file link'
          : "Slack redirected the file to a host that is not Slack's",
      );
    const response = await fetchImpl(url, {
      headers: auth === 'token' ? { Authorization: `Bearer ${token}` } : {},
      redirect: 'manual',
      signal,
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      if (!location || hop >= MAX_REDIRECTS)
        throw new Error('Slack redirected the file download too many times');
      url = new URL(location, url);
      continue;
    }
    const type = response.headers.get('content-type') ?? '';
    if (type.startsWith('text/html') && !(file.contentType ?? '').startsWith('text/html')) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(
        'Slack sent its sign-in page instead of the file: the app needs the files:read scope (reinstall it after adding the scope)',
      );
    }
    return response;
  }
}
