import type { FakeContext } from './context.js';
import { signatureHeaders, type SigningOptions } from './signing.js';
import type { SocketMode } from './socket-mode.js';
import type { Transport } from './types.js';

export type DeliveryKind = 'events_api' | 'slash_commands' | 'interactive' | 'url_verification';

export interface DeliveryOptions {
  /** Overrides the fake's `transport` option for this delivery. */
  transport?: Transport;
  /** Sign wrongly or late, to see the service refuse (HTTP only). */
  signing?: SigningOptions;
}

export interface DeliveryResult {
  transport: Transport;
  /** The HTTP status; over a socket 200 once acknowledged; 0 when nothing came back in time. */
  status: number;
  /** From sending to the answer (or to the deadline). */
  latencyMs: number;
  /** The answer's body: parsed JSON, else text; over a socket the ack's `payload`. */
  body: unknown;
  /** A 2xx answer (or socket ack) within `ackDeadlineMs`. */
  acknowledged: boolean;
  failure?: 'timeout' | 'http_error' | 'connection_failed';
  /** The answer carried `X-Slack-No-Retry: 1`: Slack then never retries. */
  noRetry: boolean;
  retryNum: number;
}

export interface DeliveryRecord extends DeliveryResult {
  kind: DeliveryKind;
  /** The event id, command id or url_verification challenge. */
  id: string;
  at: number;
  retryReason?: string;
}

function parseAnswer(text: string): unknown {
  if (!text) return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Sends what Slack sends to an app: signed HTTP POSTs to the events URL, or
 * envelopes over a socket-mode connection, each against the ack deadline.
 */
export class Deliverer {
  readonly log: DeliveryRecord[] = [];
  eventsUrl: string | undefined;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly ctx: FakeContext,
    private readonly socket: SocketMode,
  ) {
    this.eventsUrl = ctx.options.eventsUrl;
  }

  async deliver(
    kind: DeliveryKind,
    payload: Record<string, unknown>,
    id: string,
    opts: DeliveryOptions & { retryNum?: number; retryReason?: string } = {},
  ): Promise<DeliveryResult> {
    const at = Date.now();
    const retryNum = opts.retryNum ?? 0;
    const transport = kind === 'url_verification' ? 'http' : this.pickTransport(opts.transport);
    const result =
      transport === 'socket'
        ? await this.socket.deliver(
            kind as 'events_api' | 'slash_commands' | 'interactive',
            payload,
            {
              retryNum,
              ...(opts.retryReason ? { retryReason: opts.retryReason } : {}),
            },
          )
        : await this.overHttp(kind, payload, retryNum, opts);
    this.log.push({
      ...result,
      kind,
      id,
      at,
      ...(opts.retryReason ? { retryReason: opts.retryReason } : {}),
    });
    return result;
  }

  close(): void {
    for (const c of this.inFlight) c.abort();
  }

  private pickTransport(asked: Transport | undefined): Transport {
    const wanted = asked ?? this.ctx.options.transport;
    if (wanted === 'socket') {
      if (!this.socket.connected) throw new Error('fake-slack: no socket-mode client is connected');
      return 'socket';
    }
    if (wanted === 'auto' && this.socket.connected) return 'socket';
    return 'http';
  }

  private async overHttp(
    kind: DeliveryKind,
    payload: Record<string, unknown>,
    retryNum: number,
    opts: DeliveryOptions & { retryReason?: string },
  ): Promise<DeliveryResult> {
    const url = this.eventsUrl;
    if (!url)
      throw new Error('fake-slack: no eventsUrl; pass it to startFakeSlack or setEventsUrl');
    const { options } = this.ctx;
    // Commands are form fields; interactivity is one form field, `payload`, holding JSON.
    const form = kind === 'slash_commands' || kind === 'interactive';
    const body =
      kind === 'interactive'
        ? new URLSearchParams({ payload: JSON.stringify(payload) }).toString()
        : form
          ? new URLSearchParams(payload as Record<string, string>).toString()
          : JSON.stringify(payload);
    const headers: Record<string, string> = {
      // Exactly this, no charset: bolt compares the content type as a whole string.
      'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json',
      'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...signatureHeaders(options.signingSecret, body, opts.signing),
      ...(retryNum > 0
        ? {
            'X-Slack-Retry-Num': String(retryNum),
            'X-Slack-Retry-Reason': opts.retryReason ?? 'http_timeout',
          }
        : {}),
    };
    const controller = new AbortController();
    this.inFlight.add(controller);
    // Slack gives up on the connection at the deadline.
    const timer = setTimeout(() => controller.abort(), options.ackDeadlineMs);
    const started = performance.now();
    const base = { transport: 'http' as const, retryNum };
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: controller.signal });
      const text = await res.text();
      const latencyMs = Math.round(performance.now() - started);
      const acknowledged = res.status >= 200 && res.status < 300;
      return {
        ...base,
        status: res.status,
        latencyMs,
        body: parseAnswer(text),
        acknowledged,
        ...(acknowledged ? {} : { failure: 'http_error' as const }),
        noRetry: res.headers.get('x-slack-no-retry') === '1',
      };
    } catch (err) {
      const timedOut = controller.signal.aborted;
      if (!timedOut) console.warn('[fake-slack] delivery failed', (err as Error).message);
      return {
        ...base,
        status: 0,
        latencyMs: timedOut ? options.ackDeadlineMs : Math.round(performance.now() - started),
        body: '',
        acknowledged: false,
        failure: timedOut ? 'timeout' : 'connection_failed',
        noRetry: false,
      };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }
}
