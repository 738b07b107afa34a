/**
 * The port through which a platform adapter shares what its rate-limit
 * headers taught it, and the queue layer stores it for every process.
 */
import type { SurfaceOp } from './surface.js';

/** A rate bucket as the platform's own headers describe it. */
export interface LearnedRule {
  /** The platform's name for the bucket: operations naming the same one share it. */
  readonly bucket: string;
  readonly points: number;
  /** Unknown until a response showed a whole window. */
  readonly windowMs?: number;
}

/**
 * What a platform's rate-limit headers taught any process of the service,
 * shared (through the queue's store, Redis or Postgres) so every worker budgets by it.
 */
export interface RateLearning {
  rules(): ReadonlyMap<SurfaceOp, LearnedRule>;
  learn(op: SurfaceOp, rule: LearnedRule): void;
}
