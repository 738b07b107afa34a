import type { RateBudget, BudgetBucket } from '../../src/core/rate-budget.js';
import type {
  ChatSurface,
  MessageRef,
  PostOptions,
  SurfaceLimits,
} from '../../src/core/surface.js';

export interface SurfaceCall {
  readonly op: 'post' | 'edit' | 'remove';
  readonly at: number;
  readonly messageId: string;
  readonly text?: string;
  readonly replyTo?: string;
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
    const messageId = `m${this.next++}`;
    this.contents.set(messageId, text);
    this.calls.push({ op: 'post', at: Date.now(), messageId, text, replyTo: options?.replyTo });
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

  async tryTake(buckets: readonly BudgetBucket[]): Promise<number> {
    const now = Date.now();
    let wait = 0;
    for (const { key, spec } of buckets) {
      const times = (this.taken.get(key) ?? []).filter((t) => now - t < spec.windowMs);
      this.taken.set(key, times);
      if (times.length >= spec.points) wait = Math.max(wait, times[0]! + spec.windowMs - now);
    }
    if (wait > 0) return wait;
    for (const { key } of buckets) this.taken.get(key)!.push(now);
    return 0;
  }
}

export const TEST_LIMITS: SurfaceLimits = {
  maxMessageLength: 100,
  editRate: { points: 5, windowMs: 5_000 },
  postRate: { points: 5, windowMs: 5_000 },
  globalRate: { points: 50, windowMs: 1_000 },
  maxUploadBytes: 1024,
};
