import type { FakeContext, MethodSpec, MethodTable } from './context.js';
import { fail, SlackApiError } from './errors.js';
import { Params, parseBody, type ParsedBody } from './params.js';
import { FixedWindows, retryAfterSeconds, SlidingWindows } from './rate-limit.js';
import type { RateLimitRecord, RequestLogEntry } from './types.js';

export interface ApiReply {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface ApiRequest {
  method: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Buffer;
  query: URLSearchParams;
}

function errorReply(err: unknown): ApiReply {
  if (err instanceof SlackApiError) {
    return { status: 200, headers: {}, body: { ok: false, error: err.code, ...err.extra } };
  }
  console.error('[fake-slack] method failed', err);
  return { status: 200, headers: {}, body: { ok: false, error: 'internal_error' } };
}

/**
 * The Web API: parsing, tokens, rate limits, dispatch and the request log.
 * Slack answers HTTP 200 for everything but rate limits, with `ok` telling
 * success from failure.
 */
export class WebApi {
  readonly requests: RequestLogEntry[] = [];
  readonly rateLimited: RateLimitRecord[] = [];
  private readonly tiers = new FixedWindows();
  private readonly perChannel = new SlidingWindows();

  constructor(
    private readonly ctx: FakeContext,
    private readonly methods: MethodTable,
  ) {}

  handle(req: ApiRequest): ApiReply {
    const at = Date.now();
    let parsed: ParsedBody | undefined;
    let reply: ApiReply;
    try {
      parsed = parseBody(req.contentType, req.body, req.query);
      const spec = this.methods[req.method];
      if (!spec) throw fail('unknown_method');
      this.authorize(spec, req.authorization, parsed);
      const params = new Params(parsed.values);
      reply = this.limit(req.method, params, at) ?? {
        status: 200,
        headers: {},
        body: {
          ok: true,
          ...spec.handle({ method: req.method, params, files: parsed.files, now: at }),
        },
      };
    } catch (err) {
      reply = errorReply(err);
    }
    const { token: _token, ...params } = parsed?.values ?? {};
    const error = reply.body['error'];
    this.requests.push({
      method: req.method,
      params,
      at,
      status: reply.status,
      ok: reply.body['ok'] === true,
      ...(typeof error === 'string' ? { error } : {}),
      durationMs: Date.now() - at,
      encoding: parsed?.encoding ?? 'none',
    });
    return reply;
  }

  /**
   * Bot methods take the bot token from `Authorization: Bearer` or a `token`
   * argument (not from a JSON body). `apps.connections.open` takes the
   * app-level token from the header only: as an argument Slack answers
   * `invalid_auth`, and the bot token there is `not_allowed_token_type`.
   */
  private authorize(spec: MethodSpec, authorization: string | undefined, parsed: ParsedBody): void {
    const { botToken, appToken } = this.ctx.options;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const arg = parsed.values['token'];
    const param = parsed.encoding !== 'json' && typeof arg === 'string' && arg ? arg : undefined;
    if (spec.auth === 'app') {
      if (!bearer) throw fail(param ? 'invalid_auth' : 'not_authed');
      if (bearer === appToken) return;
      throw fail(bearer === botToken ? 'not_allowed_token_type' : 'invalid_auth');
    }
    const token = bearer ?? param;
    if (!token) throw fail('not_authed');
    if (token === botToken) return;
    throw fail(token === appToken ? 'not_allowed_token_type' : 'invalid_auth');
  }

  /** Counts the call against its tier (or postMessage's per-channel window); a 429 reply past it. */
  private limit(method: string, params: Params, at: number): ApiReply | undefined {
    const { options } = this.ctx;
    const channel = params.text('channel') ?? params.text('channel_id');
    let take;
    if (method === 'chat.postMessage') {
      take = this.perChannel.take(channel ?? '', options.postMessagePerChannel, at);
    } else {
      const tier = options.tiers[method];
      if (!tier) return undefined;
      take = this.tiers.take(`${method}|${options.teamId}`, tier, at);
    }
    if (take.ok) return undefined;
    const retryAfter = retryAfterSeconds(take.retryAfterMs);
    this.rateLimited.push({
      method,
      ...(channel !== undefined ? { channel } : {}),
      team: options.teamId,
      at,
      retryAfter,
    });
    return {
      status: 429,
      headers: { 'Retry-After': String(retryAfter) },
      body: { ok: false, error: 'ratelimited' },
    };
  }
}
