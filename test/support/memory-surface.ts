import {
  usablePoints,
  type BudgetBucket,
  type BudgetPriority,
  type RateBudget,
} from '../../src/core/rate-budget.js';
import {
  SurfaceError,
  type ChatSurface,
  type MessageRef,
  type NativeStream,
  type PostOptions,
  type StreamTarget,
  type SurfaceLimits,
} from '../../src/core/surface.js';

export interface SurfaceCall {
  readonly op: 'post' | 'edit' | 'remove';
  readonly at: number;
  readonly messageId: string;
  readonly text?: string;
  readonly replyTo?: string;
  readonly threadId?: string;
}

/** An in-memory ChatSurface that records every call with the (possibly fake) time. */
export class MemorySurface implements ChatSurface {
  readonly platform = 'memory';
  readonly calls: SurfaceCall[] = [];
  readonly contents = new Map<string, string>();
  failNextEdits = 0;
  private next = 1;

  constructor(readonly limits: SurfaceLimits) {}

  async post(channelId: string, text: string, options?: PostOptions): Promise<MessageRef> {
    const ref = this.newMessage(channelId, text);
    const { replyTo, threadId } = options ?? {};
    this.calls.push({
      op: 'post',
      at: Date.now(),
      messageId: ref.messageId,
      text,
      replyTo,
      threadId,
    });
    return ref;
  }

  protected newMessage(channelId: string, text: string): MessageRef {
    const messageId = `m${this.next++}`;
    this.contents.set(messageId, text);
    return { channelId, messageId };
  }

  async edit(message: MessageRef, text: string): Promise<void> {
    if (this.failNextEdits > 0) {
      this.failNextEdits--;
      throw new Error('edit failed');
    }
    this.contents.set(message.messageId, text);
    this.calls.push({ op: 'edit', at: Date.now(), messageId: message.messageId, text });
  }

  async remove(message: MessageRef): Promise<void> {
    this.contents.delete(message.messageId);
    this.calls.push({ op: 'remove', at: Date.now(), messageId: message.messageId });
  }
}

/** A sliding-window budget on Date.now, so fake timers drive it. */
export class WindowBudget implements RateBudget {
  private readonly taken = new Map<string, number[]>();

  async tryTake(
    buckets: readonly BudgetBucket[],
    priority: BudgetPriority = 'first',
  ): Promise<number> {
    const now = Date.now();
    let wait = 0;
    for (const bucket of buckets) {
      const { key, spec } = bucket;
      const times = (this.taken.get(key) ?? []).filter((t) => now - t < spec.windowMs);
      this.taken.set(key, times);
      const left = usablePoints(priority, bucket);
      if (times.length >= left) wait = Math.max(wait, times[0]! + spec.windowMs - now);
    }
    if (wait > 0) return wait;
    for (const { key } of buckets) this.taken.get(key)!.push(now);
    return 0;
  }
}

export const TEST_LIMITS: SurfaceLimits = {
  maxMessageLength: 100,
  maxUploadBytes: 1024,
  rates: {
    post: [
      { bucket: 'post', scope: 'channel', points: 5, windowMs: 5_000 },
      { bucket: 'global', scope: 'bot', points: 50, windowMs: 1_000 },
    ],
    edit: [
      { bucket: 'edit', scope: 'channel', points: 5, windowMs: 5_000 },
      { bucket: 'global', scope: 'bot', points: 50, windowMs: 1_000 },
    ],
  },
};

/** Limits that never make anyone wait: for tests and benchmarks of everything but the budget. */
export function unlimited(maxMessageLength: number, maxUploadBytes = 1): SurfaceLimits {
  const rule = { bucket: 'all', scope: 'bot', points: 1_000_000, windowMs: 1_000 } as const;
  return { maxMessageLength, maxUploadBytes, rates: { post: [rule], edit: [rule] } };
}

export interface StreamCall {
  readonly op: 'pending' | 'start' | 'append' | 'stop';
  readonly at: number;
  readonly messageId?: string;
  readonly text?: string;
}

/**
 * A MemorySurface with a native append-only stream, as Slack has: what a
 * stream shows is everything appended to it. It can refuse to start, close
 * streams after a number of appends (as Slack closes old streams), or have the
 * user stop them.
 */
export class MemoryStreamSurface extends MemorySurface {
  readonly streamCalls: StreamCall[] = [];
  refuseStart = false;
  /** false: streams offer no pending status (a Slack DM's top level). */
  offersPending = true;
  /** The platform's muting of untrusted text, where a test gives it one. */
  mute?: (text: string) => string;
  /** After this many appends, a stream answers as a stream the platform closed. */
  closeAfterAppends = Number.POSITIVE_INFINITY;
  /** After this many appends, a stream answers as one the user stopped. */
  stopByUserAfterAppends = Number.POSITIVE_INFINITY;
  private readonly open = new Map<string, number>();

  openStream(target: StreamTarget): NativeStream | undefined {
    return {
      pending: this.offersPending
        ? async (status) =>
            void this.streamCalls.push({
              op: 'pending',
              at: Date.now(),
              ...(status !== undefined ? { text: status } : {}),
            })
        : undefined,
      start: async (text) => {
        if (this.refuseStart) throw new SurfaceError('stream_refused', 'feature_not_enabled');
        const ref = this.newMessage(target.channelId, text);
        this.open.set(ref.messageId, 0);
        this.streamCalls.push({ op: 'start', at: Date.now(), messageId: ref.messageId, text });
        return ref;
      },
      append: async (message, text) => {
        this.check(message, 'append');
        this.contents.set(message.messageId, (this.contents.get(message.messageId) ?? '') + text);
        this.streamCalls.push({ op: 'append', at: Date.now(), messageId: message.messageId, text });
      },
      stop: async (message, tail) => {
        this.check(message, 'stop');
        this.contents.set(message.messageId, (this.contents.get(message.messageId) ?? '') + tail);
        this.open.delete(message.messageId);
        this.streamCalls.push({
          op: 'stop',
          at: Date.now(),
          messageId: message.messageId,
          text: tail,
        });
      },
    };
  }

  /** As on Slack, a message cannot be edited while it streams. */
  override async edit(message: MessageRef, text: string): Promise<void> {
    if (this.open.has(message.messageId))
      throw new SurfaceError('still_streaming', 'edit: streaming_state_conflict');
    await super.edit(message, text);
  }

  private check(message: MessageRef, op: string): void {
    const appends = this.open.get(message.messageId);
    if (appends === undefined)
      throw new SurfaceError('stream_refused', `${op}: message_not_in_streaming_state`);
    if (appends >= this.stopByUserAfterAppends) {
      this.open.delete(message.messageId);
      throw new SurfaceError('stopped', `${op}: stopped_by_user`);
    }
    if (appends >= this.closeAfterAppends) {
      this.open.delete(message.messageId);
      throw new SurfaceError('stream_refused', `${op}: message_not_in_streaming_state`);
    }
    this.open.set(message.messageId, appends + 1);
  }
}

/** TEST_LIMITS with a native stream's rates: a channel's appends and a tenant's starts. */
export const STREAM_LIMITS: SurfaceLimits = {
  ...TEST_LIMITS,
  rates: {
    ...TEST_LIMITS.rates,
    streamStart: [{ bucket: 'start', scope: 'tenant', points: 2, windowMs: 60_000 }],
    streamAppend: [{ bucket: 'append', scope: 'tenant', points: 100, windowMs: 60_000 }],
    streamStop: [{ bucket: 'stop', scope: 'tenant', points: 20, windowMs: 60_000 }],
  },
};
