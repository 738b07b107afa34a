/**
 * One Discord shard held by this process: its websocket (@discordjs/ws, for
 * this one shard id), resuming the session stored in the queue's store when
 * there is one, else identifying when the identify gate lets it (spaced over
 * every gateway process). The session is stored again (debounced, and when
 * the shard is given up) with the sequence of the last dispatch whose
 * handling is complete, and given up with a resume close code, so that the
 * next holder resumes it and Discord replays what followed.
 */
import type { REST } from '@discordjs/rest';
import {
  CloseCodes,
  WebSocketManager,
  WebSocketShardEvents,
  type SessionInfo,
} from '@discordjs/ws';
import type { APIGatewayBotInfo, GatewayDispatchPayload } from 'discord.js';
import type { GatewaySessions, IdentifyGate } from '../../core/shard-coordination.js';
import type { Logger } from '../../log.js';
import { HandledSequence } from './handled-sequence.js';

/** How often, at most, a shard's session is stored while dispatches arrive. */
const PERSIST_DEBOUNCE_MS = 500;
/** How long giving a shard up waits for questions still being queued. */
const RELEASE_PATIENCE_MS = 3_000;

export interface ShardConnectionOptions {
  readonly shardId: number;
  readonly shardCount: number;
  readonly token: string;
  readonly intents: number;
  readonly rest: REST;
  /** `GET /gateway/bot`, fetched once per process. */
  readonly gateway: APIGatewayBotInfo;
  readonly sessions: GatewaySessions;
  readonly identify: IdentifyGate;
  readonly log: Logger;
  /** Handles a dispatch; the promise (if any) settles when its handling is complete. */
  onDispatch(payload: GatewayDispatchPayload, shardId: number): Promise<unknown> | undefined;
  /** Discord closed the shard for good (4014 and the like). */
  onFatalClose(code: number, shardId: number): void;
}

/** Close codes after which @discordjs/ws does not reconnect. */
const FATAL_CODES = new Set([4004, 4010, 4011, 4012, 4013, 4014]);

export class ShardConnection {
  private session: SessionInfo | null = null;
  private tracker = new HandledSequence(0);
  private manager: WebSocketManager | undefined;
  private closing = false;
  private persistTimer: NodeJS.Timeout | undefined;
  private lastStored = '';
  private storing: Promise<void> = Promise.resolve();
  private storeFailing = false;
  private opened = false;
  /** Ends an open() still under way when the shard is given up meanwhile. */
  private abandon: (error: Error) => void = () => undefined;

  constructor(private readonly options: ShardConnectionOptions) {}

  get shardId(): number {
    return this.options.shardId;
  }

  /** Connects: resolves once the session is resumed or a new one is ready. */
  async open(): Promise<void> {
    const { shardId, shardCount, log } = this.options;
    const stored = await this.options.sessions.get(shardId, shardCount);
    if (stored) {
      this.session = {
        sessionId: stored.sessionId,
        sequence: stored.sequence,
        resumeURL: stored.resumeUrl,
        shardCount: stored.shardCount,
        shardId,
      };
      this.tracker = new HandledSequence(stored.sequence);
      this.lastStored = key(this.session, stored.sequence);
    }
    const maxConcurrency = this.options.gateway.session_start_limit.max_concurrency;
    const manager = new WebSocketManager({
      token: this.options.token,
      intents: this.options.intents,
      rest: this.options.rest,
      shardCount,
      shardIds: [shardId],
      retrieveSessionInfo: () => this.session,
      updateSessionInfo: (_, info) => this.sessionChanged(info),
      buildIdentifyThrottler: () => ({
        waitForIdentify: (id, signal) => this.options.identify.wait(id, maxConcurrency, signal),
      }),
    });
    // The process fetched `GET /gateway/bot` once (on the shared budget): no call per shard.
    manager.fetchGatewayInformation = () => Promise.resolve(this.options.gateway);
    manager.on(WebSocketShardEvents.Dispatch, ({ data }) => this.dispatch(data));
    // One line per connection: a replayed RESUMED (a resume of a resume) is not a second one.
    let told = false;
    const tell = (message: string) => {
      if (told) return;
      told = true;
      log.info({ shard: shardId, shardCount }, message);
    };
    manager.on(WebSocketShardEvents.Hello, () => (told = false));
    manager.on(WebSocketShardEvents.Ready, () => tell('Discord shard identified (a new session)'));
    manager.on(WebSocketShardEvents.Resumed, () => tell('Discord shard resumed its session'));
    let refuse: (error: Error) => void = () => undefined;
    const refused = new Promise<never>((_, reject) => (refuse = reject));
    refused.catch(() => undefined);
    manager.on(WebSocketShardEvents.Closed, ({ code }) => {
      if (this.closing) return;
      if (FATAL_CODES.has(code)) {
        refuse(new Error(`Discord closed shard ${shardId} with ${code}`));
        this.options.onFatalClose(code, shardId);
      } else log.warn({ shard: shardId, code }, 'Discord gateway disconnected');
    });
    manager.on(WebSocketShardEvents.Error, ({ error }) =>
      log.warn({ shard: shardId, err: error }, 'Discord gateway error'),
    );
    const abandoned = new Promise<never>((_, reject) => (this.abandon = reject));
    abandoned.catch(() => undefined);
    this.manager = manager;
    await Promise.race([manager.connect(), refused, abandoned]);
    this.opened = true;
  }

  /** Its first connection is up (identified or resumed). */
  get connected(): boolean {
    return this.opened;
  }

  /**
   * Gives the shard up: waits briefly for questions still being queued,
   * stores the session and closes the socket with a resume close code, so
   * that the session stays resumable for the next holder.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.abandon(new Error(`shard ${this.shardId} was given up while connecting`));
    clearTimeout(this.persistTimer);
    await this.tracker.settled(RELEASE_PATIENCE_MS);
    await this.persist();
    try {
      await this.manager?.destroy({ code: CloseCodes.Resuming, reason: 'shard handed over' });
    } catch (error) {
      this.options.log.warn({ shard: this.shardId, err: error }, 'could not close a Discord shard');
    }
    // What was handled while the socket closed.
    await this.persist();
  }

  private sessionChanged(info: SessionInfo | null): void {
    if (info === null) {
      // Giving the shard up (destroy) clears the session in @discordjs/ws: the store keeps it.
      if (this.closing) return;
      // Discord invalidated it: the next connection identifies.
      this.session = null;
      this.tracker = new HandledSequence(0);
      this.lastStored = '';
      this.storing = this.storing
        .then(() => this.options.sessions.remove(this.shardId))
        .catch((error: unknown) =>
          this.options.log.warn(
            { shard: this.shardId, err: error },
            'could not forget a Discord session',
          ),
        );
      return;
    }
    if (this.session?.sessionId !== info.sessionId) {
      // A new session (READY): its dispatches count from its READY.
      this.tracker = new HandledSequence(info.sequence);
      this.schedulePersist();
    }
    this.session = info;
  }

  private dispatch(payload: GatewayDispatchPayload): void {
    let handling: Promise<unknown> | undefined;
    try {
      handling = this.options.onDispatch(payload, this.shardId);
    } catch (error) {
      this.options.log.error(
        { shard: this.shardId, err: error, event: payload.t },
        'could not handle a Discord event',
      );
    }
    this.tracker.track(payload.s, handling);
    this.schedulePersist();
  }

  private schedulePersist(): void {
    if (this.persistTimer || this.closing) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      void this.persist();
      // Handling still in flight: store again once it completes.
      if (this.tracker.inFlight > 0) this.schedulePersist();
    }, PERSIST_DEBOUNCE_MS);
  }

  /** Stores the session with its handled sequence, unless that is what is stored already. */
  private persist(): Promise<void> {
    this.storing = this.storing.then(async () => {
      const session = this.session;
      if (!session) return;
      const sequence = this.tracker.handled;
      const now = key(session, sequence);
      if (now === this.lastStored) return;
      try {
        await this.options.sessions.put(this.shardId, {
          sessionId: session.sessionId,
          sequence,
          resumeUrl: session.resumeURL,
          shardCount: session.shardCount,
        });
        this.lastStored = now;
        this.storeFailing = false;
      } catch (error) {
        // Once per outage of the store, not every half second.
        if (this.storeFailing) return;
        this.storeFailing = true;
        this.options.log.warn(
          { shard: this.shardId, err: error },
          'could not store a Discord session; a takeover now would replay more',
        );
      }
    });
    return this.storing;
  }
}

function key(session: SessionInfo, sequence: number): string {
  return `${session.sessionId}:${sequence}`;
}
