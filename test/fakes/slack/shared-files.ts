/**
 * Files people share with a message: the event's `files[]` and the private
 * links that serve them. As on Slack, `url_private` and `url_private_download`
 * answer only `Authorization: Bearer <bot token>` of an app that holds
 * `files:read`; anyone else is redirected to the workspace's sign-in page (a
 * 302, then an HTML 200), not given an error status. `url_private_download`
 * serves the bytes; `url_private` redirects to a presigned CDN link (as Slack
 * does for some files), which serves them without a token.
 */
import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FakeContext } from './context.js';
import { slackId } from './ids.js';

export interface SharedFileInput {
  name: string;
  /** Default: from the name's extension, else `application/octet-stream`. */
  mimetype?: string;
  bytes: Buffer;
}

export interface SharedFile {
  id: string;
  name: string;
  mimetype: string;
  bytes: Buffer;
  user: string;
  created: number;
  /**
   * Each download of it: whether it was served, the Authorization sent, and
   * `edge` for the presigned CDN link `url_private` redirects to.
   */
  downloads: { served: boolean; authorization?: string; at: number; edge?: boolean }[];
}

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
};

/** Stores the files a person shares; they are served until the fake closes. */
export function shareFiles(
  ctx: FakeContext,
  user: string,
  inputs: readonly SharedFileInput[],
): SharedFile[] {
  return inputs.map((input) => {
    const ext = input.name.toLowerCase().split('.').pop() ?? '';
    const file: SharedFile = {
      id: slackId('F'),
      name: input.name,
      mimetype: input.mimetype ?? TYPES[ext] ?? 'application/octet-stream',
      bytes: input.bytes,
      user,
      created: Math.floor(Date.now() / 1000),
      downloads: [],
    };
    ctx.state.sharedFiles.set(file.id, file);
    return file;
  });
}

/** A file as a message event carries it (the fields Slack sends for a hosted file). */
export function fileObject(ctx: FakeContext, file: SharedFile): Record<string, unknown> {
  const team = ctx.options.teamId;
  const base = `${ctx.state.baseUrl}/files-pri/${team}-${file.id}`;
  const name = encodeURIComponent(file.name);
  const ext = file.name.toLowerCase().split('.').pop() ?? '';
  return {
    id: file.id,
    created: file.created,
    timestamp: file.created,
    name: file.name,
    title: file.name,
    mimetype: file.mimetype,
    filetype: ext,
    pretty_type: ext.toUpperCase(),
    user: file.user,
    user_team: team,
    editable: false,
    size: file.bytes.length,
    mode: 'hosted',
    is_external: false,
    external_type: '',
    is_public: true,
    public_url_shared: false,
    display_as_bot: false,
    username: '',
    url_private: `${base}/${name}`,
    url_private_download: `${base}/download/${name}`,
    permalink: `${ctx.state.baseUrl}/files/${file.user}/${file.id}/${name}`,
    is_starred: false,
    has_rich_preview: false,
    file_access: 'visible',
  };
}

/**
 * Answers `GET /files-pri/<team>-<id>/[download/]<name>` and the sign-in page
 * it redirects to; false for other paths.
 */
export function serveSharedFile(
  ctx: FakeContext,
  url: URL,
  authorization: string | undefined,
  res: ServerResponse,
): boolean {
  if (url.pathname === '/' && url.searchParams.has('redir')) {
    res
      .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end('<!DOCTYPE html><html><head><title>Sign in | Slack</title></head><body></body></html>');
    return true;
  }
  const edge = /^\/files-edge\/(F[A-Z0-9]+)\/[^/]+$/.exec(url.pathname);
  if (edge) return serveEdge(ctx, url, edge[1]!, res);
  const match = /^\/files-pri\/([A-Z0-9]+)-(F[A-Z0-9]+)\/(download\/)?[^/]+$/.exec(url.pathname);
  if (!match) return false;
  const file = ctx.state.sharedFiles.get(match[2]!);
  const allowed =
    authorization === `Bearer ${ctx.options.botToken}` &&
    ctx.options.subscriptions.scopes.includes('files:read');
  file?.downloads.push({
    served: allowed && match[1] === ctx.options.teamId,
    ...(authorization !== undefined ? { authorization } : {}),
    at: Date.now(),
  });
  if (!allowed) {
    const redir = encodeURIComponent(url.pathname);
    res.writeHead(302, { Location: `${ctx.state.baseUrl}/?redir=${redir}` }).end();
    return true;
  }
  if (!file || match[1] !== ctx.options.teamId) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('file not found');
    return true;
  }
  if (!match[3]) {
    // `url_private` of a file Slack keeps on its CDN: a presigned link there, no token needed.
    const exp = String(Date.now() + EDGE_TTL_MS);
    const edgeUrl = `${ctx.state.baseUrl}/files-edge/${file.id}/${encodeURIComponent(file.name)}?exp=${exp}&sig=${edgeSignature(file.id, exp)}`;
    res.writeHead(302, { Location: edgeUrl }).end();
    return true;
  }
  res
    .writeHead(200, { 'Content-Type': file.mimetype, 'Content-Length': file.bytes.length })
    .end(file.bytes);
  return true;
}

/** How long a presigned CDN link works. */
const EDGE_TTL_MS = 5 * 60_000;

function edgeSignature(id: string, exp: string): string {
  return createHmac('sha256', 'fake-slack-edge').update(`${id}|${exp}`).digest('hex');
}

/** A presigned CDN link: the bytes for a valid, unexpired signature, with or without a token. */
function serveEdge(ctx: FakeContext, url: URL, id: string, res: ServerResponse): boolean {
  const file = ctx.state.sharedFiles.get(id);
  const exp = url.searchParams.get('exp') ?? '';
  const valid = url.searchParams.get('sig') === edgeSignature(id, exp) && Number(exp) > Date.now();
  if (!file || !valid) {
    res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden');
    return true;
  }
  file.downloads.push({ served: true, at: Date.now(), edge: true });
  res
    .writeHead(200, { 'Content-Type': file.mimetype, 'Content-Length': file.bytes.length })
    .end(file.bytes);
  return true;
}
