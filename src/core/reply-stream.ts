/**
 * Turns a growing answer into platform messages, in one of two shapes:
 *
 * - post + edit: a placeholder at once, then edits as text arrives, paced to
 *   the platform's edit rate and drawn from the shared budget;
 * - a native stream, where the surface offers one (Slack): the text is
 *   appended as it arrives, paced and budgeted the same way. A refused or
 *   closed stream continues by post + edit in the same message.
 *
 * Either way the final render always delivers the whole text, continued in
 * further messages when it outgrows one, up to a cap of pages.
 *
 * The budget is spent by priority: the first sign of an answer, then final
 * renders, then the updates of answers already visible.
 */
import { paceMs } from './budget-buckets.js';
import { NativeReply } from './native-reply.js';
import { newTicket, settle, spend, type BudgetPriority } from './rate-budget.js';
import { isUnreachable } from './job-error.js';
import { NATIVE, OP_BUDGET, priorityOf, type Op } from './reply-op.js';
import { ReplyPages } from './reply-pages.js';
import { nextOp, type ReplyPlan } from './reply-plan.js';
import { DEFAULT_MAX_PAGES, type ReplyRendererOptions } from './reply-renderer-options.js';
import { capPages, GrowingPages, splitFrom, START } from './split.js';
import { controlsKey } from './controls/reply-controls.js';
import { SurfaceError, type Control, type MessageRef, type SurfaceOp } from './surface.js';

export { DEFAULT_MAX_PAGES, type ReplyRendererOptions } from './reply-renderer-options.js';

export class ReplyRenderer extends ReplyPages {
  private readonly now: () => number;
  private readonly maxPages: number;
  private text = '';
  /** The streaming text's pages. */
  private growing: GrowingPages;
  /** Since when the model thinks, shown while the answer has no text (see thinking()). */
  private thinkingSince?: number;
  /** The native stream's pending status last shown, and when. */
  private statusShown?: string;
  private statusAt = Number.NEGATIVE_INFINITY;
  private starting?: Promise<void>;
  private pump?: Promise<void>;
  /** The pump's current wait: cut short by finish(), and by new text when `onText`. */
  private waiter?: { readonly resolve: () => void; readonly onText: boolean };
  private lastEditAt = Number.NEGATIVE_INFINITY;
  private fatal?: unknown;
  private userStopped = false;
  private gaveUp = false;

  constructor(options: ReplyRendererOptions) {
    super(options);
    this.now = options.now ?? Date.now;
    this.maxPages = Math.max(1, options.maxPages ?? DEFAULT_MAX_PAGES);
    this.growing = new GrowingPages(this.surface.limits.maxMessageLength);
    // A retry keeps the shape its first attempt left: messages mean post + edit.
    const stream =
      this.messages.length === 0 && options.recipientId !== undefined
        ? this.surface.openStream?.({
            ...options.target,
            tenantId: options.tenantId,
            recipientId: options.recipientId,
            ...(options.recipientTenantId ? { recipientTenantId: options.recipientTenantId } : {}),
          })
        : undefined;
    if (stream) this.native = new NativeReply(stream, this.calls);
  }

  /** The messages that make up the reply so far. */
  get refs(): readonly MessageRef[] {
    return this.messages;
  }

  /** True once the user stopped the answer on the platform. */
  get stopped(): boolean {
    return this.userStopped;
  }

  /**
   * Shows that an answer is coming: the placeholder message, or for a native
   * stream the platform's pending status. An earlier attempt's messages are
   * reused; a stream it left open is closed so that edits can take over.
   * Text may be appended before this resolves: it waits for the placeholder.
   */
  start(placeholder: string): Promise<void> {
    this.starting ??= (async () => {
      if (this.messages.length > 0) await this.closeLeftoverStreams();
      else if (this.native) await this.native.showPending();
      else {
        try {
          await this.run({ kind: 'post', index: 0, text: placeholder }, 'first');
        } catch (error) {
          // A channel the bot cannot write to: nobody will read the answer.
          if (error instanceof SurfaceError && !error.retryable) this.giveUp(error);
          throw error;
        }
      }
    })();
    return this.starting;
  }

  /** Adds streamed text; edits or appends follow as the budget allows. */
  append(delta: string): void {
    if (this.closed || delta === '') return;
    this.text += delta;
    this.wake();
  }

  /**
   * Shows, while the answer has no text, that the model has been thinking
   * since `since` (a `now()` time) and for how long; undefined: it no longer
   * thinks. Cosmetic: the placeholder's edits (or a native stream's pending
   * status) follow as the pacing and the budget allow.
   */
  thinking(since: number | undefined): void {
    if (this.closed || since === this.thinkingSince) return;
    this.thinkingSince = since;
    this.wake();
  }

  /**
   * Forgets the text appended so far (it turned out not to be the answer):
   * what is appended next replaces it. A native stream cannot take text back,
   * so its message continues by edits.
   */
  retract(): void {
    if (this.closed || this.text === '') return;
    this.text = '';
    this.growing = new GrowingPages(this.limits.maxMessageLength);
    this.wake();
  }

  /** Starts the update loop if it is not running, and cuts its wait for new text short. */
  private wake(): void {
    // A failure of the loop itself (the budget store away) stops streaming edits;
    // finish() still renders the whole answer.
    this.pump ??= this.loop().catch((error: unknown) => {
      // A store that cannot be reached is the process's outage, logged once where it is watched.
      const log = this.options.log;
      if (isUnreachable(error) && log?.info) log.info({ err: error }, 'streaming updates stopped');
      else log?.warn({ err: error }, 'streaming updates stopped');
      this.fatal = error;
    });
    if (this.waiter?.onText) this.waiter.resolve();
  }

  /**
   * Stops streaming and renders `finalText` completely, waiting for budget as
   * long as it takes. Messages left over from a longer earlier attempt are removed.
   */
  async finish(
    finalText: string,
    controls: readonly Control[] = this.options.controls?.final ?? [],
  ): Promise<readonly MessageRef[]> {
    this.finalControls = controls;
    try {
      return await this.render(finalText);
    } finally {
      this.owed.owe(undefined);
    }
  }

  private async render(finalText: string): Promise<readonly MessageRef[]> {
    this.closed = true;
    this.waiter?.resolve();
    await this.pump;
    // A stream an earlier attempt left open is closed before any edit, on every path.
    if (!this.starting && this.messages.some((message) => message.stream))
      this.starting = this.closeLeftoverStreams();
    // A placeholder that failed is no reason not to try the answer itself.
    await this.starting?.catch(() => undefined);
    const max = this.limits.maxMessageLength;
    const pages = capPages(
      splitFrom(this.muted(finalText), max, START).pages,
      this.maxPages,
      max,
      this.options.tooLongNote ?? '…',
    );
    if (this.native?.open) {
      // A one-page answer's buttons come with the stream's end, not in an edit after it.
      const controls = pages.length === 1 ? this.controlsFor(0, 1) : undefined;
      await this.endStream(pages[0]!, true, controls);
      if (controls) this.carried[0] = controlsKey(controls);
    }
    this.native = undefined;
    this.finalPages = pages.length;
    for (let index = 0; index < pages.length; index++) {
      const text = pages[index]!;
      const want = this.controlsFor(index, pages.length);
      if (index >= this.messages.length) await this.run({ kind: 'post', index, text }, 'final');
      else if (
        this.shown[index] !== text ||
        // A page that streamed natively gets its buttons only in an edit it needs anyway.
        (want !== undefined &&
          this.carried[index] !== NATIVE &&
          this.carried[index] !== controlsKey(want))
      )
        await this.run({ kind: 'edit', index, text }, 'final');
    }
    while (this.messages.length > pages.length) {
      const extra = this.messages[this.messages.length - 1]!;
      await spend(
        this.options.budget,
        this.buckets('remove'),
        this.sleep,
        'final',
        () => this.surface.remove(extra, { signal: this.options.signal }),
        this.options.signal,
      );
      this.messages.pop();
      this.shown.pop();
      this.carried.pop();
      await this.options.onMessages?.(this.messages);
    }
    return this.messages;
  }

  private async loop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    let refused: { ticket: string; priority: BudgetPriority; op: SurfaceOp } | undefined;
    while (!this.closed && this.fatal === undefined && !this.options.signal?.aborted) {
      if (this.native?.open && !this.muted(this.text).startsWith(this.native.sent)) {
        // Text taken back: a stream only appends, edits show the rest.
        await this.fallBack();
        continue;
      }
      const op = this.nextOp();
      if (!op) {
        // While the model thinks, the time shown moves on without new text.
        await this.wait(this.thinkingSince === undefined ? undefined : 1_000, true);
        continue;
      }
      // Smooth pacing: one update per share of the window, not a burst then a stall.
      if (op.kind === 'edit' || op.kind === 'streamAppend') {
        const since = this.now() - this.lastEditAt;
        const pace = paceMs(this.limits, OP_BUDGET[op.kind]);
        if (since < pace) {
          await this.wait(pace - since);
          continue;
        }
      }
      const priority = priorityOf(op);
      const buckets = this.buckets(OP_BUDGET[op.kind]);
      // A request that waited asks again with its ticket, keeping its place in line.
      const ticket =
        refused?.priority === priority && refused.op === OP_BUDGET[op.kind]
          ? refused.ticket
          : newTicket();
      const waitMs = await this.options.budget.tryTake(buckets, priority, ticket);
      refused = waitMs > 0 ? { ticket, priority, op: OP_BUDGET[op.kind] } : undefined;
      if (waitMs > 0) {
        // A stream starts now or not at all: waiting for one would only delay the answer.
        if (op.kind === 'streamStart') this.native = undefined;
        else await this.wait(waitMs);
        continue;
      }
      try {
        await this.run(op);
      } catch (error) {
        await this.failed(error, op);
      } finally {
        await settle(this.options.budget, buckets, ticket);
      }
    }
  }

  /** An update that failed: a refused stream falls back, anything else waits for the next one. */
  private async failed(error: unknown, op: Op): Promise<void> {
    if (error instanceof SurfaceError && error.code === 'stream_refused') {
      this.options.log?.warn({ err: error, op: op.kind }, 'native stream refused; posting instead');
      await this.fallBack();
      return;
    }
    if (error instanceof SurfaceError && error.code === 'stopped') {
      this.userStopped = true;
      this.native = undefined;
    }
    // An intermediate update may fail; the final render tries again.
    this.options.log?.warn({ err: error, op: op.kind }, 'streaming update failed');
    if (error instanceof SurfaceError && !error.retryable) {
      this.fatal = error;
      this.giveUp(error);
    } else this.lastEditAt = this.now();
  }

  private giveUp(reason: SurfaceError | 'too_long'): void {
    if (this.gaveUp) return;
    this.gaveUp = true;
    this.options.onGiveUp?.(reason);
  }

  /** Waits `ms` (or, with undefined, for new text); finish() always ends the wait. */
  private wait(ms: number | undefined, onText = ms === undefined): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.waiter = {
        onText,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    }).finally(() => (this.waiter = undefined));
  }

  /** What to send next (see nextOp); the plan may end the native stream. */
  private nextOp(): Op | undefined {
    const plan: ReplyPlan = {
      text: this.text,
      native: this.native,
      messages: this.messages,
      shown: this.shown,
      growing: this.growing,
      maxPages: this.maxPages,
      maxMessageLength: this.limits.maxMessageLength,
      thinkingSince: this.thinkingSince,
      statusShown: this.statusShown,
      statusAt: this.statusAt,
      now: this.now,
      muted: (text) => this.muted(text),
      giveUp: (reason) => this.giveUp(reason),
    };
    const op = nextOp(plan);
    this.native = plan.native;
    return op;
  }

  /** Makes one call; with a priority it first waits for the budget, as long as it takes. */
  private async run(op: Op, waitFor?: BudgetPriority): Promise<void> {
    if (!waitFor) return this.call(op);
    await spend(
      this.options.budget,
      this.buckets(OP_BUDGET[op.kind]),
      this.sleep,
      waitFor,
      () => this.call(op),
      this.options.signal,
    );
  }

  private async call(op: Op): Promise<void> {
    this.options.signal?.throwIfAborted();
    switch (op.kind) {
      case 'post': {
        const { target, idempotencyKey } = this.options;
        const controls = this.controlsFor(op.index);
        const ref = await this.surface.post(target.channelId, op.text, {
          replyTo: op.index === 0 ? target.replyTo : undefined,
          threadId: target.threadId,
          signal: this.options.signal,
          idempotencyKey:
            idempotencyKey === undefined ? undefined : `${idempotencyKey}:${op.index}`,
          ...(controls ? { controls } : {}),
        });
        this.messages[op.index] = ref;
        this.shown[op.index] = op.text;
        this.carried[op.index] = controls && controlsKey(controls);
        if (op.index === 0 && !this.closed) this.owed.owe('edit');
        await this.options.onMessages?.(this.messages);
        return;
      }
      case 'edit':
        await this.editClosingStream(op.index, op.text);
        this.shown[op.index] = op.text;
        this.lastEditAt = this.now();
        return;
      case 'streamStart': {
        const native = this.native!;
        const ref = await native.start(op.text);
        this.owed.owe('streamStop');
        this.messages[0] = { ...ref, stream: true };
        this.shown[0] = native.sent;
        this.carried[0] = NATIVE;
        this.lastEditAt = this.now();
        await this.options.onMessages?.(this.messages);
        return;
      }
      case 'streamAppend': {
        const native = this.native!;
        await native.append(this.messages[0]!, op.text);
        this.shown[0] = native.sent;
        this.lastEditAt = this.now();
        return;
      }
      case 'status':
        this.statusShown = op.text;
        this.statusAt = this.now();
        try {
          await this.native?.stream.pending?.(op.text);
        } catch (error) {
          // Cosmetic: the answer does not depend on it.
          this.options.log?.warn({ err: error }, 'could not show the thinking status');
        }
        return;
      case 'streamEnd':
        await this.endStream(this.growing.pages(this.muted(this.text))[0]!, false);
        this.native = undefined;
        this.owed.owe('edit');
        return;
    }
  }
}
