/** 👍 / 👎 on answers: the port the votes are kept through. */
import type { EffectiveSettings } from '../settings/index.js';

export interface Vote {
  /** The chat job the answer is stored under. */
  readonly answerId: string;
  readonly platform: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly value: 'up' | 'down';
  /** The settings in force when the vote was cast. */
  readonly settings: EffectiveSettings;
  /** The answer voted on, as it is stored. */
  readonly answer: string;
}

/** One model's votes in a tenant, for /usage. */
export interface ModelFeedback {
  readonly model: string;
  readonly up: number;
  readonly down: number;
}

export interface FeedbackStore {
  /**
   * Records a person's vote on an answer, replacing their earlier one; the
   * model is the one that wrote the answer. True when the vote is new or changed.
   */
  vote(vote: Vote): Promise<boolean>;
  /** Each model's votes in a tenant since `since`. */
  byModel(platform: string, tenantId: string, since: Date): Promise<readonly ModelFeedback[]>;
}
