import type { PromptsRecord, TitleRecord } from './assistant-methods.js';
import type { SharedFile } from './shared-files.js';
import { fail } from './errors.js';
import { TsClock } from './ids.js';
import type {
  EphemeralRecord,
  FakeSlackChannel,
  FakeSlackUser,
  ResolvedOptions,
  StatusRecord,
  StoredFile,
  StoredMessage,
  TextVersion,
} from './types.js';

/**
 * Tokens Slack turns into notifications: `<!here>`, `<!channel>`,
 * `<!everyone>` (with or without a label), user groups and people.
 */
const PING_TOKENS =
  /<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[^>]+>|<@[UW][A-Z0-9]+(?:\|[^>]*)?>/g;

export interface PingRecord {
  readonly channel: string;
  readonly ts: string;
  readonly token: string;
  readonly at: number;
}

export interface ChannelState extends Omit<FakeSlackChannel, 'type'> {
  isIm: boolean;
  /** The `channel_type` of its message events. */
  type: 'channel' | 'group' | 'mpim' | 'im';
  botIsMember: boolean;
  created: number;
}

export interface MessageQuery {
  /** Only the thread with this parent ts (the parent and its replies). */
  threadTs?: string;
  includeDeleted?: boolean;
}

const key = (channel: string, ts: string) => `${channel}/${ts}`;

/** Everything the fake knows; the Web API methods and the inbound helpers read and write it. */
export class FakeState {
  baseUrl = '';
  readonly clock = new TsClock();
  readonly users = new Map<string, FakeSlackUser>();
  readonly channels = new Map<string, ChannelState>();
  /** Every upload ticket, by file id, shared or not. */
  readonly files = new Map<string, StoredFile>();
  /** Files people shared with their messages, by id (shared-files.ts). */
  readonly sharedFiles = new Map<string, SharedFile>();
  readonly statuses: StatusRecord[] = [];
  /** Every assistant.threads.setTitle and setSuggestedPrompts that Slack accepted. */
  readonly titles: TitleRecord[] = [];
  readonly prompts: PromptsRecord[] = [];
  readonly ephemerals: EphemeralRecord[] = [];
  /** Milliseconds the Web API waits before answering a method, by method name (a slow Slack). */
  readonly methodDelayMs: Record<string, number> = {};
  /** Notifications an app's message set off: broadcasts, user groups, people. */
  readonly pings: PingRecord[] = [];
  private readonly byChannel = new Map<string, StoredMessage[]>();
  private readonly byKey = new Map<string, StoredMessage>();
  private readonly currentStatus = new Map<string, StatusRecord>();

  constructor(readonly options: ResolvedOptions) {
    const now = Date.now();
    this.users.set(options.botUserId, {
      id: options.botUserId,
      name: options.botName,
      realName: options.botName,
      isBot: true,
      teamId: options.teamId,
    });
    for (const u of options.users) this.users.set(u.id, u);
    for (const c of options.channels) {
      const isIm = c.isIm ?? c.id.startsWith('D');
      if (isIm !== c.id.startsWith('D')) {
        throw new Error(`fake-slack: DM ids start with D, channel ids do not (${c.id})`);
      }
      if (c.user && !this.users.has(c.user)) {
        throw new Error(`fake-slack: DM ${c.id} names unknown user ${c.user}`);
      }
      const type = isIm ? 'im' : (c.type ?? (c.id.startsWith('G') ? 'group' : 'channel'));
      this.channels.set(c.id, {
        ...c,
        isIm,
        type,
        botIsMember: c.botIsMember ?? true,
        created: now,
      });
    }
  }

  requireChannel(id: string | undefined): ChannelState {
    const ch = id ? this.channels.get(id) : undefined;
    if (!ch) throw fail('channel_not_found');
    return ch;
  }

  /** A channel the bot can write in. */
  writableChannel(id: string | undefined): ChannelState {
    const ch = this.requireChannel(id);
    if (!ch.botIsMember) throw fail('not_in_channel');
    return ch;
  }

  addMessage(m: StoredMessage): StoredMessage {
    this.byKey.set(key(m.channel, m.ts), m);
    const list = this.byChannel.get(m.channel) ?? [];
    list.push(m);
    this.byChannel.set(m.channel, list);
    return m;
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    const m = this.byKey.get(key(channel, ts));
    if (m) this.refreshStream(m, Date.now());
    return m;
  }

  /** A live message, or `message_not_found` as Slack answers for unknown and deleted ones. */
  requireMessage(channel: string, ts: string | undefined): StoredMessage {
    const m = ts ? this.message(channel, ts) : undefined;
    if (!m || m.deleted) throw fail('message_not_found');
    return m;
  }

  /**
   * The thread a `thread_ts` names. It must be a live message in that channel.
   * A reply's ts lands in its parent's thread, which is what Slack does with
   * the ts of a reply (its docs ask for the parent's).
   */
  threadRoot(channel: string, threadTs: string, code = 'thread_not_found'): string {
    const m = this.message(channel, threadTs);
    if (!m || m.deleted) throw fail(code);
    return m.threadTs ?? m.ts;
  }

  messages(channel: string, q: MessageQuery = {}): StoredMessage[] {
    const now = Date.now();
    return (this.byChannel.get(channel) ?? []).filter((m) => {
      this.refreshStream(m, now);
      if (m.deleted && !q.includeDeleted) return false;
      return q.threadTs === undefined || m.ts === q.threadTs || m.threadTs === q.threadTs;
    });
  }

  /** Slack ends a stream on its own after a while; the fake applies that on every read. */
  refreshStream(m: StoredMessage, now: number): void {
    if (
      m.streaming === 'streaming' &&
      m.streamStartedAt !== undefined &&
      now - m.streamStartedAt >= this.options.streamLifetimeMs
    ) {
      m.streaming = 'expired';
    }
  }

  /** Records a new visible version of a message. */
  show(m: StoredMessage, text: string, via: TextVersion['via'], at: number): void {
    m.history.push({ text, at, via });
    // Slack notifies people for these tokens wherever an app's message shows them.
    if (m.origin !== 'user')
      for (const token of text.match(PING_TOKENS) ?? [])
        this.pings.push({ channel: m.channel, ts: m.ts, token, at });
  }

  setStatus(rec: StatusRecord): void {
    const current = this.status(rec.channel, rec.threadTs);
    // An empty status is how an app takes its status away.
    const empty = rec.status === '';
    if (current) this.clear(current, rec.at, empty ? 'empty-status' : 'replaced');
    this.statuses.push(rec);
    if (empty) {
      rec.clearedAt = rec.at;
      rec.clearedBy = 'empty-status';
      return;
    }
    this.currentStatus.set(key(rec.channel, rec.threadTs), rec);
  }

  /** The status shown in a thread now, if any (statuses time out after `statusTimeoutMs`). */
  status(channel: string, threadTs: string): StatusRecord | undefined {
    const rec = this.currentStatus.get(key(channel, threadTs));
    if (!rec) return undefined;
    const expiresAt = rec.at + this.options.statusTimeoutMs;
    if (Date.now() >= expiresAt) {
      this.clear(rec, expiresAt, 'timeout');
      return undefined;
    }
    return rec;
  }

  /** The bot replied in a thread: Slack takes the "is thinking…" status away. */
  botReplied(channel: string, threadTs: string | undefined, at: number): void {
    if (threadTs === undefined) return;
    const rec = this.status(channel, threadTs);
    if (rec) this.clear(rec, at, 'reply');
  }

  private clear(rec: StatusRecord, at: number, by: NonNullable<StatusRecord['clearedBy']>): void {
    rec.clearedAt = at;
    rec.clearedBy = by;
    this.currentStatus.delete(key(rec.channel, rec.threadTs));
  }
}
