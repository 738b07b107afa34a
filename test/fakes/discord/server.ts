import { serveCdn } from './cdn.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FakeContext } from './context.js';
import { DiscordError, Errors } from './errors.js';
import { readBody, routeRequest, type Reply, type Route, type RouteRequest } from './http.js';
import { Buckets, bucketHash, rateLimitedResponse } from './rate-limit.js';
import type { RateLimitRecord, RequestLogEntry } from './types.js';

const PREFIX = '/api/v10';

/** `%40original` and `@original` are the same route; a malformed escape stays as sent. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function errorReply(err: unknown): Reply {
  if (err instanceof DiscordError) return { status: err.status, body: err.body() };
  console.error('[fake-discord] route failed', err);
  return { status: 500, body: { message: '500: Internal Server Error', code: 0 } };
}

/** The HTTP side: auth, Discord-style rate limits, routing and the request log. */
export class RestServer {
  readonly requests: RequestLogEntry[] = [];
  readonly rateLimited: RateLimitRecord[] = [];
  /** 401, 403 and 429 answers: Discord bans an IP for 10,000 of them in 10 minutes. */
  invalidRequests = 0;
  readonly http: Server;
  private readonly buckets = new Buckets();

  constructor(
    private readonly ctx: FakeContext,
    private readonly routes: Route[],
  ) {
    this.http = createServer((req, res) => void this.handle(req, res));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname.startsWith('/attachments/')) return this.cdn(url, res);
    const path = url.pathname.startsWith(`${PREFIX}/`)
      ? url.pathname.slice(PREFIX.length).split('/').map(decodeSegment).join('/')
      : url.pathname;
    const body = await readBody(req, this.ctx.options.requestSizeLimit);
    const headers: Record<string, string> = {};
    let rr: RouteRequest | undefined;
    let reply: Reply;
    try {
      if (body === 'too-large') throw Errors.tooLarge();
      if (!url.pathname.startsWith(`${PREFIX}/`)) throw Errors.notFound();
      const matching = this.routes.filter((r) => r.pattern.test(path));
      if (!matching.length) throw Errors.notFound();
      const route = matching.find((r) => r.method === method);
      if (!route) throw Errors.methodNotAllowed();
      const params = (route.pattern.exec(path) ?? []).slice(1);
      rr = routeRequest(
        method,
        params,
        url.searchParams,
        arrivedAt,
        req.headers['content-type'],
        body,
      );
      reply = await this.run(route, rr, path, headers, req.headers.authorization);
    } catch (err) {
      reply = errorReply(err);
    }
    this.respond(res, reply, headers);
    this.log(rr, method, path, url.search, reply, arrivedAt, req.headers['content-type'], body);
  }

  /** Auth, then the global limit, then the route's bucket, then the handler. */
  private async run(
    route: Route,
    rr: RouteRequest,
    path: string,
    headers: Record<string, string>,
    authorization: string | undefined,
  ): Promise<Reply> {
    const { options } = this.ctx;
    if (route.auth === 'bot') {
      if (authorization !== `Bot ${options.token}`) throw Errors.unauthorized();
      // Interaction callbacks and webhook routes are outside the global limit.
      const global = this.buckets.takeGlobal(options.rates.global, rr.arrivedAt);
      if (!global.ok)
        return this.limited(rr.method, path, 'global', undefined, global.retryAfterMs, headers);
    }
    const ref = route.bucket?.(rr.params);
    if (ref) {
      const take = this.buckets.take(ref, rr.arrivedAt);
      Object.assign(headers, take.headers);
      if (!take.ok) {
        return this.limited(
          rr.method,
          path,
          ref.name,
          bucketHash(ref.name),
          take.retryAfterMs,
          headers,
        );
      }
    }
    return route.handle(rr);
  }

  private limited(
    method: string,
    path: string,
    route: string,
    bucket: string | undefined,
    retryAfterMs: number,
    headers: Record<string, string>,
  ): Reply {
    const global = route === 'global';
    const r = rateLimitedResponse(retryAfterMs, global);
    Object.assign(headers, r.headers);
    this.rateLimited.push({
      at: Date.now(),
      method,
      path,
      route: global ? 'global' : route,
      scope: global ? 'global' : 'user',
      ...(bucket ? { bucket } : {}),
      retryAfter: Math.ceil(retryAfterMs) / 1000,
    });
    return { status: 429, body: r.body };
  }

  private respond(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
    if ([401, 403, 429].includes(reply.status)) this.invalidRequests += 1;
    // A 204 must carry neither body nor JSON content-type: @discordjs/rest would try to parse it.
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    res.writeHead(reply.status, { ...headers, 'Content-Type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  }

  private log(
    rr: RouteRequest | undefined,
    method: string,
    path: string,
    query: string,
    reply: Reply,
    at: number,
    contentType: string | undefined,
    raw: Buffer | 'too-large',
  ): void {
    const parsed = rr?.parsed();
    let body: unknown = parsed?.json;
    if (
      !parsed &&
      raw !== 'too-large' &&
      raw.length &&
      contentType?.startsWith('application/json')
    ) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    }
    const code = (reply.body as { code?: unknown } | undefined)?.code;
    this.requests.push({
      method,
      path,
      query,
      status: reply.status,
      at,
      durationMs: Date.now() - at,
      ...(body !== undefined ? { body } : {}),
      ...(parsed?.files.length
        ? { files: parsed.files.map((f) => ({ filename: f.filename, size: f.bytes.length })) }
        : {}),
      ...(reply.status >= 400 && typeof code === 'number' ? { code } : {}),
    });
  }

  /** Attachment URLs in message payloads point here: signed links serve the stored bytes. */
  private cdn(url: URL, res: ServerResponse): void {
    const [, , , id] = url.pathname.split('/');
    const { state } = this.ctx;
    const status = serveCdn(url, state.attachment(id ?? ''), res, Date.now() + state.cdnClockMs);
    state.cdnRequests.push({ id: id ?? '', status, at: Date.now() });
  }
}
