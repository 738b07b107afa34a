/**
 * Turns a growing answer into platform messages: a placeholder at once, then
 * edits as text arrives — paced to the platform's edit rate and drawn from the
 * shared budget — and a final render that always delivers the whole text,
 * continued in further messages when it outgrows one.
 */
import { take, type BudgetBucket, type RateBudget } from './rate-budget.js';
import { closeOpenFence, splitMessage } from './split.js';
import { SurfaceError, type ChatSurface, type MessageRef } from './surface.js';

export interface ReplyRendererOptions {
  readonly surface: ChatSurface;
  readonly budget: RateBudget;
  readonly channelId: string;
  readonly replyTo?: string;
  /** Identifies the reply across attempts; each page's post carries `<key>:<page>`. */
  readonly idempotencyKey?: string;
  /** Messages an earlier attempt of the same job posted: reused, never posted twice. */
  readonly existing?: readonly MessageRef[];
  /** Persists the posted messages so that a retry after a crash can reuse them. */
  readonly onMessages?: (messages: readonly MessageRef[]) => Promise<void>;
  readonly log?: { warn(details: object, message: string): void };
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

type Op =
  { kind: 'edit'; index: number; text: string } | { kind: 'post'; index: number; text: string };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ReplyRenderer {
  private readonly surface: ChatSurface;
  private readonly messages: MessageRef[];
  /** What each message shows now; undefined when unknown (left by an earlier attempt). */
  private readonly shown: (string | undefined)[];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private text = '';
  private pump?: Promise<void>;
  /** The pump's current wait: cut short by finish(), and by new text when `onText`. */
  private waiter?: { readonly resolve: () => void; readonly onText: boolean };
  private closed = false;
  private lastEditAt = Number.NEGATIVE_INFINITY;
  private fatal?: unknown;

  constructor(private readonly options: ReplyRendererOptions) {
    this.surface = options.surface;
    this.messages = [...(options.existing ?? [])];
    this.shown = this.messages.map(() => undefined);
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
  }

  /** The messages that make up the reply so far. */
  get refs(): readonly MessageRef[] {
    return this.messages;
  }

  /** Posts the placeholder unless an earlier attempt already did. */
  async start(placeholder: string): Promise<void> {
    if (this.messages.length > 0) return;
    await this.run({ kind: 'post', index: 0, text: placeholder }, true);
  }

  /** Adds streamed text; edits follow as the budget allows. */
  append(delta: string): void {
    if (this.closed || delta === '') return;
    this.text += delta;
    // A failure of the loop itself (the budget store away) stops streaming edits;
    // finish() still renders the whole answer.
    this.pump ??= this.loop().catch((error: unknown) => {
      this.options.log?.warn({ err: error }, 'streaming updates stopped');
      this.fatal = error;
    });
    if (this.waiter?.onText) this.waiter.resolve();
  }

  /**
   * Stops streaming and renders `finalText` completely, waiting for budget as
   * long as it takes. Messages left over from a longer earlier attempt are removed.
   */
  async finish(finalText: string): Promise<readonly MessageRef[]> {
    this.closed = true;
    this.waiter?.resolve();
    await this.pump;
    const pages = splitMessage(finalText, this.surface.limits.maxMessageLength);
    for (let index = 0; index < pages.length; index++) {
      const text = pages[index]!;
      if (index >= this.messages.length) await this.run({ kind: 'post', index, text }, true);
      else if (this.shown[index] !== text) await this.run({ kind: 'edit', index, text }, true);
    }
    while (this.messages.length > pages.length) {
      const extra = this.messages[this.messages.length - 1]!;
      await take(this.options.budget, this.buckets('edit'), this.sleep);
      await this.surface.remove(extra);
      this.messages.pop();
      this.shown.pop();
      await this.options.onMessages?.(this.messages);
    }
    return this.messages;
  }

  private async loop(): Promise<void> {
    const pace = paceMs(this.surface);
    while (!this.closed && this.fatal === undefined) {
      const op = this.nextOp();
      if (!op) {
        await this.wait(undefined);
        continue;
      }
      // Smooth pacing: one edit per share of the window, not a burst then a stall.
      const since = this.now() - this.lastEditAt;
      if (op.kind === 'edit' && since < pace) {
        await this.wait(pace - since);
        continue;
      }
      const waitMs = await this.options.budget.tryTake(this.buckets(op.kind));
      if (waitMs > 0) {
        await this.wait(waitMs);
        continue;
      }
      try {
        await this.run(op, false);
      } catch (error) {
        // An intermediate update may fail; the final render tries again.
        this.options.log?.warn({ err: error, op: op.kind }, 'streaming update failed');
        if (error instanceof SurfaceError && error.permanent) this.fatal = error;
        else await this.wait(pace);
      }
    }
  }

  /** Waits `ms` (or, with undefined, for new text); finish() always ends the wait. */
  private wait(ms: number | undefined): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.waiter = {
        onText: ms === undefined,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    }).finally(() => (this.waiter = undefined));
  }

  /** The first page whose message does not show it yet. */
  private nextOp(): Op | undefined {
    if (this.text.trim() === '') return undefined;
    const max = this.surface.limits.maxMessageLength;
    const pages = splitMessage(this.text, max);
    // A code block still being written shows as one while it streams.
    pages[pages.length - 1] = closeOpenFence(pages[pages.length - 1]!, max);
    for (let index = 0; index < pages.length; index++) {
      const text = pages[index]!;
      if (index >= this.messages.length) return { kind: 'post', index, text };
      if (this.shown[index] !== text) return { kind: 'edit', index, text };
    }
    return undefined;
  }

  private async run(op: Op, blocking: boolean): Promise<void> {
    if (blocking) await take(this.options.budget, this.buckets(op.kind), this.sleep);
    if (op.kind === 'post') {
      const ref = await this.surface.post(this.options.channelId, op.text, {
        replyTo: op.index === 0 ? this.options.replyTo : undefined,
        idempotencyKey:
          this.options.idempotencyKey === undefined
            ? undefined
            : `${this.options.idempotencyKey}:${op.index}`,
      });
      this.messages[op.index] = ref;
      this.shown[op.index] = op.text;
      await this.options.onMessages?.(this.messages);
    } else {
      await this.surface.edit(this.messages[op.index]!, op.text);
      this.shown[op.index] = op.text;
      this.lastEditAt = this.now();
    }
  }

  private buckets(kind: 'edit' | 'post'): BudgetBucket[] {
    const { platform, limits } = this.surface;
    const channel = this.options.channelId;
    return [
      kind === 'edit'
        ? { key: `${platform}:edit:${channel}`, spec: limits.editRate }
        : { key: `${platform}:post:${channel}`, spec: limits.postRate },
      { key: `${platform}:global`, spec: limits.globalRate },
    ];
  }
}

/** Time between streaming edits: the edit window shared out evenly, with a margin. */
export function paceMs(surface: Pick<ChatSurface, 'limits'>): number {
  const { points, windowMs } = surface.limits.editRate;
  return Math.ceil((windowMs / points) * 1.2);
}
