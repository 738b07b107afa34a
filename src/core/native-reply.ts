/**
 * The native-stream side of a reply (Slack's chat.startStream / appendStream /
 * stopStream): what one stream was sent, whether it is open, and the budgeted
 * calls that show it pending, close it, or leave it for edits. The renderer
 * (reply-stream.ts) decides when; this module knows how, and which failures
 * leave the message editable.
 */
import { newTicket, settle, spend, type BudgetBucket, type RateBudget } from './rate-budget.js';
import {
  SurfaceError,
  type Control,
  type MessageRef,
  type NativeStream,
  type SurfaceOp,
} from './surface.js';

/** What a reply's stream calls share with the renderer. */
export interface StreamCalls {
  readonly budget: RateBudget;
  readonly sleep: (ms: number) => Promise<void>;
  /** Once aborted, no call is made. */
  readonly signal?: AbortSignal;
  readonly log?: { warn(details: object, message: string): void };
  buckets(op: SurfaceOp): BudgetBucket[];
}

/** The same message, no longer marked as streaming. */
export const closedRef = (message: MessageRef): MessageRef => ({
  channelId: message.channelId,
  messageId: message.messageId,
});

/** One native stream a reply writes through. */
export class NativeReply {
  /** What the stream has been sent so far: always a prefix of the answer. */
  sent = '';
  /** Started and not yet stopped. */
  open = false;

  constructor(
    readonly stream: NativeStream,
    private readonly calls: StreamCalls,
  ) {}

  /** The platform's "is thinking…": cosmetic, shown only when the budget has room right now. */
  async showPending(): Promise<void> {
    const { stream, calls } = this;
    if (!stream.pending || calls.signal?.aborted) return;
    if ((await calls.budget.tryTake(calls.buckets('status'), 'update')) > 0) return;
    try {
      await stream.pending();
    } catch (error) {
      calls.log?.warn({ err: error }, 'could not show the pending status');
    }
  }

  async start(text: string): Promise<MessageRef> {
    const ref = await this.stream.start(text);
    this.open = true;
    this.sent += text;
    return ref;
  }

  async append(message: MessageRef, text: string): Promise<void> {
    await this.stream.append(message, text);
    this.sent += text;
  }

  /**
   * Closes the stream so that its message shows `page`: what is missing is
   * appended by the stop itself when the stream showed a prefix of it;
   * otherwise the message is left for an edit to correct. `shows` learns
   * what the message shows afterwards (undefined: unknown).
   */
  async end(
    message: MessageRef,
    page: string,
    final: boolean,
    shows: (text: string | undefined) => void,
    controls?: readonly Control[],
  ): Promise<void> {
    const { calls } = this;
    const tail = page.startsWith(this.sent) ? page.slice(this.sent.length) : '';
    const stop = () => {
      calls.signal?.throwIfAborted();
      return this.stream.stop(message, tail, controls);
    };
    try {
      // A message cannot be edited while it streams: the final render waits for the stop's
      // budget (while streaming, the loop has taken it already).
      if (final)
        await spend(
          calls.budget,
          calls.buckets('streamStop'),
          calls.sleep,
          'final',
          stop,
          calls.signal,
        );
      else await stop();
      shows(this.sent + tail);
    } catch (error) {
      if (!(error instanceof SurfaceError)) throw error;
      // While streaming, the loop deals with it (retry, stop, give up) like any update.
      if (!final && error.code !== 'stream_refused') throw error;
      // Refused, stopped or failed: an edit shows the right text from here.
      calls.log?.warn({ err: error }, 'could not close the native stream');
      shows(error.code === 'transient' ? undefined : this.sent);
      if (!error.retryable && error.code !== 'stopped') throw error;
    }
    this.open = false;
  }

  /**
   * Leaves the stream for edits: what it showed stays. A message still
   * streaming cannot be edited, so it is stopped first where the budget has
   * room now (otherwise an edit that finds it streaming closes it). Returns
   * what the message shows.
   */
  async abandon(message: MessageRef): Promise<string> {
    const { calls } = this;
    const ticket = newTicket();
    const buckets = calls.buckets('streamStop');
    if ((await calls.budget.tryTake(buckets, 'final', ticket)) <= 0) {
      await this.stream.stop(message, '').catch(() => undefined);
      await settle(calls.budget, buckets, ticket);
    }
    this.open = false;
    return this.sent;
  }
}

/**
 * Stops a native stream no reply writes through any more (left open by a
 * crashed or stopped attempt). Already closed, expired or stopped by the
 * user is what is wanted; any other failure (the budget's store, the
 * platform away) is thrown, so the message is not edited while it streams.
 */
export async function closeLeftoverStream(
  calls: StreamCalls,
  stream: NativeStream | undefined,
  message: MessageRef,
): Promise<void> {
  if (!stream) return;
  try {
    await spend(
      calls.budget,
      calls.buckets('streamStop'),
      calls.sleep,
      'final',
      () => stream.stop(message, ''),
      calls.signal,
    );
  } catch (error) {
    if (!(error instanceof SurfaceError) || error.code === 'transient') throw error;
    calls.log?.warn({ err: error }, 'could not close a stream left by an earlier attempt');
  }
}
