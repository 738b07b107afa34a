/** What a chat job reaches the world through. */
import type { ModalityLookup } from './attachments/index.js';
import type { StopWatch } from './controls/stop-watch.js';
import type { PaymentNotices } from './payment-notice.js';
import type { ChatModel, ConversationStore } from './ports.js';
import type { Quotas } from './quota.js';
import type { RateBudget } from './rate-budget.js';
import type { SettingsSource } from './settings/index.js';
import type { ChatSurface } from './surface.js';

export interface ChatJobDeps {
  readonly surface: (platform: string, tenantId: string) => ChatSurface;
  readonly budget: RateBudget;
  readonly model: ChatModel;
  readonly store: ConversationStore;
  readonly settings: SettingsSource;
  /** Daily quotas; unset: none are checked. */
  readonly quotas?: Pick<Quotas, 'refusal'>;
  /** Where a used-up Chutes balance is logged, once per tenant per period; unset: not logged. */
  readonly payments?: Pick<PaymentNotices, 'note'>;
  readonly history: {
    readonly tokenBudget: number;
    readonly maxMessages: number;
    /**
     * A model's context length as the models list gives it; unset, or where
     * it gives none, HISTORY_FIT.defaultContextLength (see history-fit.ts).
     */
    readonly contextLength?: (model: string) => Promise<number | undefined>;
  };
  /** Which models take images (the models list); unset: none is sent images. */
  readonly models?: ModalityLookup;
  readonly log: {
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where Stop presses reach this answer; unset: answers carry no buttons. */
  readonly stops?: Pick<StopWatch, 'watch'>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
