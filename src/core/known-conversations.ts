/**
 * Which conversations the bot takes part in, as a gateway needs to know on
 * the path of every event: a Slack thread where it answered takes follow-ups
 * without a mention. The store is the truth (an exchange stored under the
 * conversation's key); this caches its answers briefly, and a gateway that
 * queues a question somewhere says so at once, so the question that opens a
 * thread counts before its answer is stored.
 */
import { LRUCache } from 'lru-cache';
import type { ConversationKey } from './conversation-key.js';
import type { ConversationPresence } from './ports.js';

export interface KnownConversationsOptions {
  /** Conversations remembered per process; the least recently used go first. Default 10,000. */
  readonly max?: number;
  /**
   * How long the store's answer is trusted. /forget elsewhere and another
   * gateway's first question are seen after at most this. Default 60 s.
   */
  readonly lookupTtlMs?: number;
  /**
   * How long a conversation this gateway queued a question in counts as
   * joined without asking the store (its answer may take minutes to be
   * stored). Default 10 minutes.
   */
  readonly joinedTtlMs?: number;
  /**
   * How long a look-up may take before it counts as failed: the gateway asks
   * before acknowledging an event, which Slack waits 3 s for. Default 1 s.
   */
  readonly lookupTimeoutMs?: number;
}

const DEFAULTS = {
  max: 10_000,
  lookupTtlMs: 60_000,
  joinedTtlMs: 10 * 60_000,
  lookupTimeoutMs: 1_000,
} as const satisfies Required<KnownConversationsOptions>;

export class KnownConversations {
  private readonly cache: LRUCache<ConversationKey, boolean>;
  private readonly options: Required<KnownConversationsOptions>;

  constructor(
    private readonly store: ConversationPresence,
    private readonly platform: string,
    options: KnownConversationsOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.cache = new LRUCache<ConversationKey, boolean>({
      max: this.options.max,
      ttl: this.options.lookupTtlMs,
      // Many events for one thread at once ask the store once.
      fetchMethod: (key) => this.store.hasExchange(this.platform, key),
    });
  }

  /** The bot was asked a question here: it is in this conversation from now on. */
  joined(key: ConversationKey): void {
    this.cache.set(key, true, { ttl: this.options.joinedTtlMs });
  }

  /**
   * Whether the bot has answered (or been asked) in this conversation. A
   * failed or slow look-up rejects and is not remembered.
   */
  async has(key: ConversationKey): Promise<boolean> {
    const ms = this.options.lookupTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the store in ${ms} ms`)), ms);
    });
    try {
      return (await Promise.race([this.cache.fetch(key), late])) === true;
    } finally {
      clearTimeout(timer);
    }
  }
}
