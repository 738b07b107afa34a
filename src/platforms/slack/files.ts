/**
 * Files shared with a Slack message: the gateway notes them from the event
 * (`files[]`), a worker downloads them from `url_private` with the bot token,
 * which needs the `files:read` scope. Without it (or with a wrong token) Slack
 * answers with a redirect to its sign-in page rather than an error status, so
 * a redirect or an HTML page where a file was expected is a refusal.
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

/** Slack's own file hosts, and the API's host (a Slack Enterprise or test server). */
function mayGetToken(url: URL, apiUrl: string): boolean {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  const host = url.hostname.toLowerCase();
  if (host === 'slack.com' || host.endsWith('.slack.com') || host.endsWith('.slack-edge.com'))
    return url.protocol === 'https:';
  return url.host === new URL(apiUrl).host;
}

/**
 * Downloads a shared file with the bot token. The token goes only to Slack's
 * hosts; redirects are not followed with it.
 */
export async function fetchSlackFile(
  file: AttachmentRef,
  token: string,
  apiUrl: string,
  signal: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<Response> {
  const url = new URL(file.url);
  if (!mayGetToken(url, apiUrl)) throw new Error('the file link is not a Slack file link');
  const response = await fetchImpl(url, {
    headers: { Authorization: `Bearer ${token}` },
    redirect: 'manual',
    signal,
  });
  const type = response.headers.get('content-type') ?? '';
  const refused =
    (response.status >= 300 && response.status < 400) ||
    (type.startsWith('text/html') && !(file.contentType ?? '').startsWith('text/html'));
  if (refused) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(
      'Slack sent its sign-in page instead of the file: the app needs the files:read scope (reinstall it after adding the scope)',
    );
  }
  return response;
}
