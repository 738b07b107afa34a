/** What a ReplyRenderer is given: where the answer goes, and what it may spend and call. */
import type { ReplyControls } from './controls/reply-controls.js';
import type { RateBudget } from './rate-budget.js';
import type { ChatSurface, MessageRef, ReplyTarget, SurfaceError } from './surface.js';

export interface ReplyRendererOptions {
  readonly surface: ChatSurface;
  readonly budget: RateBudget;
  /** Where the answer goes. */
  readonly target: ReplyTarget;
  /** The tenant whose budgets tenant-scoped rate rules draw from. */
  readonly tenantId: string;
  /** Whom the answer is for; a native stream is offered only when this is known. */
  readonly recipientId?: string;
  /** The recipient's own tenant where it is not `tenantId` (Slack Connect: the asker's workspace). */
  readonly recipientTenantId?: string;
  /** Identifies the reply across attempts; each page's post carries `<key>:<page>`. */
  readonly idempotencyKey?: string;
  /** Messages an earlier attempt of the same job posted: reused, never posted twice. */
  readonly existing?: readonly MessageRef[];
  /** Persists the posted messages so that a retry after a crash can reuse them. */
  readonly onMessages?: (messages: readonly MessageRef[]) => Promise<void>;
  /**
   * Called once when nobody will read more of the answer: the user stopped it
   * (`stopped`), the reply cannot be written any more (a permanent
   * SurfaceError), or it reached the page cap (`too_long`).
   */
  readonly onGiveUp?: (reason: SurfaceError | 'too_long') => void;
  /** Most messages one answer may take; the last one then ends with `tooLongNote`. */
  readonly maxPages?: number;
  readonly tooLongNote?: string;
  /**
   * Buttons the reply carries where the surface shows them: `streaming` on
   * its first message while it streams by post + edit; the final render's
   * (finish's `controls`) on its last page, and none anywhere else.
   */
  readonly controls?: ReplyControls;
  /** Once aborted, the reply is not written to any more: every call throws the reason. */
  readonly signal?: AbortSignal;
  readonly log?: {
    warn(details: object, message: string): void;
    info?(details: object, message: string): void;
  };
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Enough for any sane answer (Discord: 20,000 characters); more is a runaway `max_tokens`. */
export const DEFAULT_MAX_PAGES = 10;
