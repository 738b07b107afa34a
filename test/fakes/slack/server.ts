import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Commands } from './commands.js';
import type { FakeContext } from './context.js';
import { receiveUpload } from './file-methods.js';
import { serveSharedFile } from './shared-files.js';
import { readBody } from '../shared.js';
import type { SocketMode } from './socket-mode.js';
import type { WebApi } from './web-api.js';

/** Room for multipart framing around the largest upload. */
const BODY_OVERHEAD = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  if (typeof body === 'string') {
    res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
    return;
  }
  res
    .writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body));
}

/**
 * One port for everything: the Web API under `/api/`, upload URLs under
 * `/upload/v1/`, response URLs under `/commands/`, socket mode at `/socket`.
 */
export class HttpServer {
  readonly http: Server;

  constructor(
    private readonly ctx: FakeContext,
    private readonly api: WebApi,
    private readonly commands: Commands,
    socket: SocketMode,
  ) {
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        console.error('[fake-slack] request failed', err);
        if (!res.headersSent) send(res, 500, 'internal error');
      });
    });
    this.http.on('upgrade', (req, sock, head: Buffer) => {
      if (!socket.handleUpgrade(req, sock, head)) sock.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const body = await readBody(req, this.ctx.options.maxUploadBytes + BODY_OVERHEAD);
    if (body === 'too-large') return send(res, 413, 'request entity too large');
    const [, area, ...rest] = url.pathname.split('/');
    const contentType = req.headers['content-type'];
    if (area === 'api' && rest.length === 1 && (req.method === 'POST' || req.method === 'GET')) {
      const method = decodeURIComponent(rest[0] ?? '');
      // A slow Slack, for tests of what must not wait for it.
      const lag = this.ctx.state.methodDelayMs[method];
      if (lag) {
        await new Promise((resolve) => setTimeout(resolve, lag));
        // The caller hung up (it died) before Slack got to it: as if it never arrived.
        if (res.socket === null || res.socket.destroyed) return;
      }
      const reply = this.api.handle({
        method,
        authorization: req.headers.authorization,
        contentType,
        body,
        query: url.searchParams,
      });
      return send(res, reply.status, reply.body, reply.headers);
    }
    if (area === 'upload' && rest[0] === 'v1' && rest.length === 2 && req.method === 'POST') {
      const reply = receiveUpload(this.ctx, rest[1] ?? '', contentType, body);
      return send(res, reply.status, reply.body);
    }
    if (area === 'commands' && rest.length === 1 && req.method === 'POST') {
      const reply = this.commands.handleResponseUrl(rest[0] ?? '', body);
      return send(res, reply.status, reply.body);
    }
    if (req.method === 'GET' && serveSharedFile(this.ctx, url, req.headers.authorization, res))
      return;
    send(res, 404, 'not found');
  }
}
