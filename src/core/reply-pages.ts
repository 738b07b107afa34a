/**
 * The messages a reply is made of on the platform: what each shows and which
 * buttons it carries, the final render it owes, and the calls on them that
 * leave or close a native stream (one refused, one left open by an earlier
 * attempt, or one a final render ends).
 */
import { randomUUID } from 'node:crypto';
import { budgetBuckets } from './budget-buckets.js';
import {
  closedRef,
  closeLeftoverStream,
  type NativeReply,
  type StreamCalls,
} from './native-reply.js';
import { OwedRender } from './owed-render.js';
import type { BudgetBucket } from './rate-budget.js';
import { NATIVE } from './reply-op.js';
import type { ReplyRendererOptions } from './reply-renderer-options.js';
import { controlsKey } from './controls/reply-controls.js';
import {
  SurfaceError,
  type ChatSurface,
  type Control,
  type MessageRef,
  type SurfaceLimits,
  type SurfaceOp,
} from './surface.js';

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export abstract class ReplyPages {
  protected readonly surface: ChatSurface;
  protected readonly messages: MessageRef[];
  /** What each message shows now; undefined when unknown (left by an earlier attempt). */
  protected readonly shown: (string | undefined)[];
  /** Which buttons each message carries now (controlsKey); undefined when unknown. */
  protected readonly carried: (string | undefined)[];
  /** The buttons of the final render. */
  protected finalControls: readonly Control[] = [];
  /** How many pages the final render shows, once it runs. */
  protected finalPages?: number;
  protected readonly sleep: (ms: number) => Promise<void>;
  /** The native stream while the answer streams that way; unset for post + edit. */
  protected native?: NativeReply;
  /** What the stream calls share with this reply. */
  protected readonly calls: StreamCalls;
  protected closed = false;
  /** The final render this reply owes, told to the budget. */
  protected readonly owed: OwedRender;

  constructor(protected readonly options: ReplyRendererOptions) {
    this.surface = options.surface;
    this.messages = [...(options.existing ?? [])];
    this.shown = this.messages.map(() => undefined);
    this.carried = this.messages.map(() => undefined);
    this.sleep = options.sleep ?? defaultSleep;
    this.calls = {
      budget: options.budget,
      sleep: this.sleep,
      signal: options.signal,
      log: options.log,
      buckets: (op) => this.buckets(op),
    };
    this.owed = new OwedRender(
      options.budget,
      options.idempotencyKey ?? randomUUID(),
      (op) => this.buckets(op),
      options.log,
    );
  }

  /**
   * Leaves the native stream: what it showed stays, and edits take it from
   * there. A message still streaming cannot be edited, so the stream is
   * closed first where the platform may still hold it open.
   */
  protected async fallBack(): Promise<void> {
    const native = this.native;
    const message = this.messages[0];
    this.native = undefined;
    if (!native?.open || !message || this.options.signal?.aborted) return;
    this.shown[0] = await native.abandon(message);
    this.messages[0] = closedRef(message);
    this.owed.owe('edit');
  }

  protected get limits(): SurfaceLimits {
    return this.surface.limits;
  }

  /** The text as the platform may show it: untrusted text pings nobody. */
  protected muted(text: string): string {
    return this.surface.mute ? this.surface.mute(text) : text;
  }

  /**
   * The buttons page `index` should carry now (undefined: the reply has none
   * to manage): while streaming, the first page's; once closed, the last
   * page's. A page streaming natively gets none (its stop is the platform's).
   */
  protected controlsFor(index: number, pages?: number): readonly Control[] | undefined {
    const controls = this.options.controls;
    if (!controls || !this.surface.controls) return undefined;
    if (this.carried[index] === NATIVE && !this.closed) return undefined;
    if (!this.closed) return index === 0 ? controls.streaming : [];
    return index === (pages ?? this.finalPages ?? this.messages.length) - 1
      ? this.finalControls
      : [];
  }

  /** Closes the open stream so that its message shows `page` (see NativeReply.end). */
  protected async endStream(
    page: string,
    final: boolean,
    controls?: readonly Control[],
  ): Promise<void> {
    const message = this.messages[0]!;
    await this.native!.end(message, page, final, (text) => (this.shown[0] = text), controls);
    this.messages[0] = closedRef(message);
    await this.options.onMessages?.(this.messages);
  }

  /** Closes streams an earlier attempt left open, so that edits can take them over. */
  protected async closeLeftoverStreams(): Promise<void> {
    for (const [index, message] of this.messages.entries()) {
      if (!message.stream) continue;
      await this.closeStream(message);
      this.messages[index] = closedRef(message);
      await this.options.onMessages?.(this.messages);
    }
  }

  /** Stops a stream this reply no longer writes through (see closeLeftoverStream). */
  protected closeStream(message: MessageRef): Promise<void> {
    const { target, tenantId, recipientId, recipientTenantId } = this.options;
    const stream = this.surface.openStream?.({
      ...target,
      tenantId,
      recipientId: recipientId ?? '',
      ...(recipientTenantId ? { recipientTenantId } : {}),
    });
    return closeLeftoverStream(this.calls, stream, message);
  }

  /** Edits a page; a message found still streaming has its stream closed first. */
  protected async editClosingStream(index: number, text: string): Promise<void> {
    const message = this.messages[index]!;
    const controls = this.controlsFor(index);
    const options = { signal: this.options.signal, ...(controls ? { controls } : {}) };
    try {
      await this.surface.edit(message, text, options);
    } catch (error) {
      if (!(error instanceof SurfaceError && error.code === 'still_streaming')) throw error;
      this.options.log?.warn({ err: error }, 'closing a stream found open before editing it');
      await this.closeStream(message);
      this.options.signal?.throwIfAborted();
      await this.surface.edit(message, text, options);
    }
    if (controls) this.carried[index] = controlsKey(controls);
  }

  protected buckets(op: SurfaceOp): BudgetBucket[] {
    return budgetBuckets(this.surface, op, {
      channelId: this.options.target.channelId,
      tenantId: this.options.tenantId,
    });
  }
}
