import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeContext } from './context.js';
import type { DeliveryResult } from './delivery.js';
import { envelopeId, slackId } from './ids.js';

export interface SocketConnectionInfo {
  id: number;
  openedAt: number;
  closedAt?: number;
  /** Envelopes sent on this connection and acks received for them. */
  sent: number;
  acked: number;
  /** Acks that came after the deadline (Slack has given up on them by then). */
  lateAcks: number;
}

interface Connection {
  ws: WebSocket;
  info: SocketConnectionInfo;
  ping: NodeJS.Timeout;
}

interface Pending {
  connection: Connection;
  sentAt: number;
  settle: (r: DeliveryResult) => void;
  timer: NodeJS.Timeout;
  retryNum: number;
}

const HOST = 'applink-fake-slack';

/**
 * Socket mode as `@slack/socket-mode` 3.x speaks it: `apps.connections.open`
 * hands out a single-use `ws://…/socket?ticket=…` URL; the server greets with
 * `hello`, sends envelopes `{ envelope_id, payload, type,
 * accepts_response_payload }`, reads acks `{ envelope_id, payload? }`, pings
 * at the websocket level and can ask the client to reconnect (`disconnect`).
 */
export class SocketMode {
  readonly connections: SocketConnectionInfo[] = [];
  wsBase = '';
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly open: Connection[] = [];
  private readonly pending = new Map<string, Pending>();
  private next = 0;

  constructor(private readonly ctx: FakeContext) {}

  get connected(): boolean {
    return this.open.length > 0;
  }

  /** A fresh URL for `apps.connections.open`; each ticket admits one connection. */
  openUrl(): string {
    const ticket = slackId('', 24).toLowerCase();
    this.tickets.add(ticket);
    return `${this.wsBase}/socket?ticket=${ticket}&app_id=${this.ctx.options.appId}`;
  }

  /** Takes `/socket` upgrades; false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    if (url.pathname !== '/socket') return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  /** Sends one envelope and settles at its ack or at the ack deadline. */
  deliver(
    type: 'events_api' | 'slash_commands' | 'interactive',
    payload: Record<string, unknown>,
    opts: { retryNum: number; retryReason?: string },
  ): Promise<DeliveryResult> {
    const connection = this.open[this.next++ % this.open.length];
    if (!connection) throw new Error('fake-slack: no socket-mode client is connected');
    const id = envelopeId();
    const envelope = {
      envelope_id: id,
      payload,
      type,
      accepts_response_payload: type === 'slash_commands',
      ...(type === 'events_api'
        ? { retry_attempt: opts.retryNum, retry_reason: opts.retryReason ?? '' }
        : {}),
    };
    return new Promise((settle) => {
      const { ackDeadlineMs } = this.ctx.options;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        settle({
          transport: 'socket',
          status: 0,
          latencyMs: ackDeadlineMs,
          body: undefined,
          acknowledged: false,
          failure: 'timeout',
          noRetry: false,
          retryNum: opts.retryNum,
        });
      }, ackDeadlineMs);
      this.pending.set(id, {
        connection,
        sentAt: performance.now(),
        settle,
        timer,
        retryNum: opts.retryNum,
      });
      connection.info.sent += 1;
      connection.ws.send(JSON.stringify(envelope));
    });
  }

  /** Slack's `disconnect` message: the client should open a new connection. */
  requestReconnect(reason = 'refresh_requested'): void {
    for (const c of this.open) {
      c.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: HOST } }));
    }
  }

  /** Drops every connection from the server side, without a goodbye. */
  dropConnections(): void {
    for (const c of [...this.open]) c.ws.terminate();
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    for (const c of [...this.open]) c.ws.terminate();
    await new Promise<void>((done) => this.wss.close(() => done()));
  }

  private accept(ws: WebSocket): void {
    const info: SocketConnectionInfo = {
      id: this.connections.length + 1,
      openedAt: Date.now(),
      sent: 0,
      acked: 0,
      lateAcks: 0,
    };
    this.connections.push(info);
    // Slack pings; the client treats a long silence as a dead link.
    const ping = setInterval(() => ws.ping(), this.ctx.options.socketPingIntervalMs);
    const connection: Connection = { ws, info, ping };
    this.open.push(connection);
    ws.on('message', (data) => this.onMessage(connection, String(data)));
    ws.on('close', () => this.forget(connection));
    ws.on('error', () => this.forget(connection));
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.open.length,
        debug_info: { host: HOST, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.ctx.options.appId },
      }),
    );
  }

  private onMessage(connection: Connection, text: string): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.envelope_id !== 'string') return;
    const p = this.pending.get(msg.envelope_id);
    if (!p) {
      connection.info.lateAcks += 1;
      return;
    }
    this.pending.delete(msg.envelope_id);
    clearTimeout(p.timer);
    connection.info.acked += 1;
    p.settle({
      transport: 'socket',
      status: 200,
      latencyMs: Math.round(performance.now() - p.sentAt),
      body: msg.payload ?? {},
      acknowledged: true,
      noRetry: false,
      retryNum: p.retryNum,
    });
  }

  private forget(connection: Connection): void {
    clearInterval(connection.ping);
    connection.info.closedAt ??= Date.now();
    const i = this.open.indexOf(connection);
    if (i >= 0) this.open.splice(i, 1);
  }
}
