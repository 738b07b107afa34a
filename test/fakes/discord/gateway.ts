/**
 * The gateway websocket: HELLO, IDENTIFY (intents, shards, identify buckets,
 * 4010/4011), READY with a per-session `resume_gateway_url`, GUILD_CREATE,
 * heartbeats, dispatch routing by shard, sessions that outlive their
 * connection (buffered, resumable for `sessionResumableMs`), RESUME with
 * replay and take-over, op 9 INVALID_SESSION, close codes.
 */
import type { IncomingMessage, Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { guildCreatePayload, userPayload } from './payloads.js';
import { IdentifyBuckets, shardOf } from './shards.js';
import type { FakeState } from './state.js';
import type { ResolvedOptions } from './types.js';

export const Intent = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

const ALL_INTENTS = (1 << 26) - 1;
/** Discord allows 120 client payloads per connection per minute, then closes 4008. */
const SEND_LIMIT = { points: 120, windowMs: 60_000 };

export interface Session {
  id: string;
  seq: number;
  intents: number;
  shard: [number, number];
  buffer: { op: 0; s: number; t: string; d: unknown }[];
  conn?: Conn;
  resumable: boolean;
  /** Path of its `resume_gateway_url` on this server. */
  resumePath: string;
  /** Ends the session once it has been without a connection for `sessionResumableMs`. */
  expiry?: NodeJS.Timeout;
}

/** A live session as tests see it. */
export interface GatewaySessionInfo {
  id: string;
  shard: [number, number];
  /** A connection holds it now; otherwise it is waiting for a RESUME (dispatches are buffered). */
  connected: boolean;
  connectionId?: number;
  seq: number;
  buffered: number;
}

/** What the gateway has accepted and refused, for "resumed, not re-identified" assertions. */
export interface GatewayStats {
  /** Accepted IDENTIFYs (each starts a session and takes one from `session_start_limit`). */
  identifies: number;
  /** Accepted RESUMEs. */
  resumes: number;
  /** Every op 9 INVALID_SESSION sent (refused identifies and resumes). */
  invalidSessions: number;
  /** Identifies refused for coming too soon in their bucket, by bucket (`shard_id % max_concurrency`). */
  refusedIdentifies: Record<number, number>;
  /** RESUMEs that did not come on the session's `resume_gateway_url`. */
  resumesOffUrl: number;
}

export interface GatewayConnectionInfo {
  id: number;
  open: boolean;
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
  /** Who closed: the fake (a protocol error) or the client. */
  closedBy?: 'server' | 'client';
  sessionId?: string;
  resumed: boolean;
  heartbeats: number;
  /** The request path (`/` for the gateway URL, `/resume/…` for a session's resume URL). */
  path: string;
  identify?: { intents: number; shard: [number, number]; properties: unknown };
}

interface Conn {
  ws: WebSocket;
  info: GatewayConnectionInfo;
  session?: Session;
  heartbeatTimer?: NodeJS.Timeout;
  sent: { count: number; resetAt: number };
}

type Payload = { op: number; d?: unknown };

export class Gateway {
  readonly connections: GatewayConnectionInfo[] = [];
  sessionStartRemaining = 1000;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly conns = new Set<Conn>();
  private readonly buckets: IdentifyBuckets;
  readonly stats: GatewayStats;
  url = '';

  constructor(
    private readonly state: FakeState,
    private readonly options: ResolvedOptions,
  ) {
    this.buckets = new IdentifyBuckets(options.maxConcurrency, options.identifyWindowMs);
    this.stats = {
      identifies: 0,
      resumes: 0,
      invalidSessions: 0,
      refusedIdentifies: this.buckets.refused,
      resumesOffUrl: 0,
    };
  }

  /** Live sessions (connected or waiting for a RESUME), oldest first. */
  sessionInfos(): GatewaySessionInfo[] {
    return [...this.sessions.values()].map((s) => ({
      id: s.id,
      shard: s.shard,
      connected: s.conn !== undefined,
      ...(s.conn ? { connectionId: s.conn.info.id } : {}),
      seq: s.seq,
      buffered: s.buffer.length,
    }));
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
    });
  }

  /** Sends one dispatch per live session; `build` returns undefined to skip a session (intents). */
  dispatch(t: string, guildId: string | undefined, build: (s: Session) => unknown): void {
    for (const session of this.sessions.values()) {
      // Discord routes guild events to shard (guild_id >> 22) % count and DMs to shard 0.
      const [shardId, count] = session.shard;
      const target = guildId ? shardOf(guildId, count) : 0;
      if (target !== shardId) continue;
      const d = build(session);
      if (d !== undefined) this.emit(session, t, d);
    }
  }

  /** Op 7: Discord asks clients to reconnect and resume from time to time. */
  requestReconnect(): void {
    for (const c of this.conns) this.send(c, { op: 7, d: null });
  }

  /**
   * Drops connections (those holding a session of `shardId`, or all) with a
   * resumable close code, as a Discord node restart would: sessions live on.
   */
  dropConnections(code = 4000, shardId?: number): void {
    for (const c of [...this.conns]) {
      if (shardId !== undefined && c.session?.shard[0] !== shardId) continue;
      this.closeConn(c, code, 'fake drop');
    }
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) clearTimeout(s.expiry);
    this.sessions.clear();
    for (const c of [...this.conns]) {
      clearTimeout(c.heartbeatTimer);
      c.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private emit(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const payload = { op: 0 as const, s: session.seq, t, d };
    session.buffer.push(payload);
    if (session.buffer.length > this.options.sessionBufferLimit) session.buffer.shift();
    if (session.conn) this.send(session.conn, payload);
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const info: GatewayConnectionInfo = {
      id: this.connections.length + 1,
      open: true,
      openedAt: Date.now(),
      resumed: false,
      heartbeats: 0,
      path: new URL(req.url ?? '/', 'ws://fake').pathname,
    };
    this.connections.push(info);
    const conn: Conn = { ws, info, sent: { count: 0, resetAt: Date.now() + SEND_LIMIT.windowMs } };
    this.conns.add(conn);
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('close', (code) => this.onClose(conn, code));
    ws.on('error', () => undefined);

    const query = new URL(req.url ?? '/', 'ws://fake').searchParams;
    if (query.get('v') !== '10') return this.closeConn(conn, 4012, 'Invalid API version');
    if ((query.get('encoding') ?? 'json') !== 'json')
      return this.closeConn(conn, 4002, 'Decode error');
    // zlib-stream is only asked for when zlib-sync is installed; the fake speaks plain JSON.
    if (query.has('compress'))
      return this.closeConn(conn, 4000, 'compress not supported by the fake');

    const interval = this.options.heartbeatIntervalMs;
    this.send(conn, { op: 10, d: { heartbeat_interval: interval, _trace: ['fake-gateway'] } });
    this.armHeartbeat(conn);
  }

  /** The first beat waits a random fraction of the interval, so allow a full interval plus slack. */
  private armHeartbeat(conn: Conn): void {
    clearTimeout(conn.heartbeatTimer);
    const interval = this.options.heartbeatIntervalMs;
    conn.heartbeatTimer = setTimeout(
      () => this.closeConn(conn, 4009, 'Session timed out'),
      interval + Math.max(1000, interval * 0.25),
    );
    conn.heartbeatTimer.unref();
  }

  private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    const now = Date.now();
    if (now >= conn.sent.resetAt) conn.sent = { count: 0, resetAt: now + SEND_LIMIT.windowMs };
    if (++conn.sent.count > SEND_LIMIT.points) return this.closeConn(conn, 4008, 'Rate limited.');
    let payload: Payload;
    try {
      if (isBinary) throw new Error('binary');
      const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      payload = JSON.parse(raw.toString('utf8')) as Payload;
      if (typeof payload !== 'object' || payload === null || typeof payload.op !== 'number') {
        throw new Error('shape');
      }
    } catch {
      return this.closeConn(conn, 4002, 'Error while decoding payload.');
    }
    switch (payload.op) {
      case 1:
        conn.info.heartbeats += 1;
        this.armHeartbeat(conn);
        return this.send(conn, { op: 11 });
      case 2:
        return this.identify(conn, payload.d as Record<string, unknown> | undefined);
      case 6:
        return this.resume(conn, payload.d as Record<string, unknown> | undefined);
      case 3:
      case 4:
      case 8:
        if (!conn.session) return this.closeConn(conn, 4003, 'Not authenticated.');
        return;
      default:
        return this.closeConn(conn, 4001, 'Unknown opcode.');
    }
  }

  private identify(conn: Conn, d: Record<string, unknown> | undefined): void {
    if (conn.session) return this.closeConn(conn, 4005, 'Already authenticated.');
    if (d?.['token'] !== this.options.token)
      return this.closeConn(conn, 4004, 'Authentication failed.');
    const intents = d['intents'];
    if (
      typeof intents !== 'number' ||
      !Number.isInteger(intents) ||
      intents < 0 ||
      intents > ALL_INTENTS
    ) {
      return this.closeConn(conn, 4013, 'Invalid intent(s).');
    }
    const p = this.options.privilegedIntents;
    const disallowed =
      (intents & Intent.MessageContent && !p.messageContent) ||
      (intents & Intent.GuildMembers && !p.guildMembers) ||
      (intents & Intent.GuildPresences && !p.guildPresences);
    if (disallowed) return this.closeConn(conn, 4014, 'Disallowed intent(s).');
    const shard = (d['shard'] as [number, number] | undefined) ?? [0, 1];
    if (
      !Array.isArray(shard) ||
      shard.length !== 2 ||
      !shard.every(Number.isInteger) ||
      shard[1] < 1 ||
      shard[0] < 0 ||
      shard[0] >= shard[1]
    ) {
      return this.closeConn(conn, 4010, 'Invalid shard.');
    }
    const guilds = [...this.state.guilds.values()].filter(
      (g) => shardOf(g.config.id, shard[1]) === shard[0],
    );
    const o = this.options;
    if (guilds.length > o.maxGuildsPerShard) {
      return this.closeConn(conn, 4011, 'Sharding required.');
    }
    // max_concurrency: one IDENTIFY per bucket per 5 s across the bot; Discord answers op 9.
    if (!this.buckets.take(shard[0])) return this.invalidSession(conn);
    this.sessionStartRemaining -= 1;
    this.stats.identifies += 1;

    const session: Session = {
      id: randomBytes(16).toString('hex'),
      seq: 0,
      intents,
      shard,
      buffer: [],
      conn,
      resumable: true,
      resumePath: `/resume/${randomBytes(6).toString('hex')}`,
    };
    this.sessions.set(session.id, session);
    conn.session = session;
    conn.info.sessionId = session.id;
    conn.info.identify = { intents, shard, properties: d['properties'] };

    this.emit(session, 'READY', {
      v: 10,
      user: { ...userPayload(this.state.bot), verified: true, mfa_enabled: false, flags: 0 },
      user_settings: {},
      guilds: guilds.map((g) => ({ id: g.config.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: `${this.url}${session.resumePath}`,
      shard,
      application: {
        id: o.applicationId,
        // The *_LIMITED flags: what an unverified bot with the intents switched on has.
        flags:
          (p.guildPresences ? 1 << 13 : 0) |
          (p.guildMembers ? 1 << 15 : 0) |
          (p.messageContent ? 1 << 19 : 0),
      },
      private_channels: [],
      presences: [],
      relationships: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      auth: {},
      _trace: ['fake-gateway'],
    });
    // Without GUILDS Discord sends no GUILD_CREATE; discord.js then marks ready without waiting.
    if (intents & Intent.Guilds) {
      for (const g of guilds) this.emit(session, 'GUILD_CREATE', guildCreatePayload(this.state, g));
    }
  }

  private resume(conn: Conn, d: Record<string, unknown> | undefined): void {
    if (conn.session) return this.closeConn(conn, 4005, 'Already authenticated.');
    if (d?.['token'] !== this.options.token)
      return this.closeConn(conn, 4004, 'Authentication failed.');
    const session = this.sessions.get(String(d['session_id']));
    const seq = Number(d['seq'] ?? 0);
    if (!session || !Number.isInteger(seq) || seq < 0) return this.invalidSession(conn);
    if (seq > session.seq) return this.closeConn(conn, 4007, 'Invalid seq.');
    // Replay needs every dispatch after `seq`; older ones may have left the buffer.
    const oldest = session.buffer[0]?.s ?? session.seq + 1;
    if (seq + 1 < oldest) return this.invalidSession(conn);
    if (conn.info.path !== session.resumePath) {
      this.stats.resumesOffUrl += 1;
      if (this.options.strictResumeUrl) return this.invalidSession(conn);
    }
    // A resume takes the session over: Discord closes a connection still holding it.
    const previous = session.conn;
    if (previous) {
      delete previous.session;
      this.closeConn(previous, 4009, 'Session resumed elsewhere.');
    }
    clearTimeout(session.expiry);
    delete session.expiry;
    session.conn = conn;
    conn.session = session;
    conn.info.sessionId = session.id;
    conn.info.resumed = true;
    this.stats.resumes += 1;
    for (const p of session.buffer) if (p.s > seq) this.send(conn, p);
    this.emit(session, 'RESUMED', { _trace: ['fake-gateway'] });
  }

  /** Op 9 with d:false: the client must identify afresh (the connection stays open). */
  private invalidSession(conn: Conn): void {
    this.stats.invalidSessions += 1;
    this.send(conn, { op: 9, d: false });
  }

  private endSession(session: Session): void {
    session.resumable = false;
    clearTimeout(session.expiry);
    this.sessions.delete(session.id);
  }

  private send(conn: Conn, payload: object): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    const full = { s: null, t: null, ...payload };
    conn.ws.send(JSON.stringify(full));
  }

  private closeConn(conn: Conn, code: number, reason: string): void {
    conn.info.closedBy ??= 'server';
    // Authentication and intent failures end the session for good.
    if (conn.session && code >= 4003 && code !== 4009) this.endSession(conn.session);
    conn.ws.close(code, reason);
  }

  private onClose(conn: Conn, code: number): void {
    clearTimeout(conn.heartbeatTimer);
    this.conns.delete(conn);
    conn.info.open = false;
    conn.info.closedAt = Date.now();
    conn.info.closeCode = code;
    conn.info.closedBy ??= 'client';
    const session = conn.session;
    if (!session || session.conn !== conn) return;
    delete session.conn;
    // A client closing with 1000/1001 gives its session up; anything else may resume for a while.
    if (conn.info.closedBy === 'client' && (code === 1000 || code === 1001)) {
      session.resumable = false;
    }
    if (!session.resumable) return this.endSession(session);
    session.expiry = setTimeout(() => this.endSession(session), this.options.sessionResumableMs);
    session.expiry.unref();
  }
}
