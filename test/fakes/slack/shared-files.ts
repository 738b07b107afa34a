/**
 * Files people share with a message: the event's `files[]` and the private
 * links that serve them. As on Slack, `url_private` and `url_private_download`
 * serve the bytes only to `Authorization: Bearer <bot token>` of an app that
 * holds `files:read`; anyone else is redirected to the workspace's sign-in
 * page (a 302, then an HTML 200), not given an error status.
 */
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
  /** Each download of it: whether it was served, and the Authorization sent. */
  downloads: { served: boolean; authorization?: string; at: number }[];
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
  const match = /^\/files-pri\/([A-Z0-9]+)-(F[A-Z0-9]+)\/(?:download\/)?[^/]+$/.exec(url.pathname);
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
  res
    .writeHead(200, { 'Content-Type': file.mimetype, 'Content-Length': file.bytes.length })
    .end(file.bytes);
  return true;
}
