/** The final render a visible reply owes, as the budget is told of it. */
import type { BudgetBucket, RateBudget } from './rate-budget.js';
import type { SurfaceOp } from './surface.js';

export class OwedRender {
  /** The operation this reply owes a final render to, once it is visible. */
  private owing?: SurfaceOp;

  constructor(
    private readonly budget: RateBudget,
    /** Identifies the reply in the budget's record of what is owed. */
    private readonly id: string,
    private readonly buckets: (op: SurfaceOp) => BudgetBucket[],
    private readonly log?: { warn(details: object, message: string): void },
  ) {}

  /**
   * Tells the budget which operation this visible reply owes its final render
   * to (undefined: none any more), so updates leave those points. Best effort.
   */
  owe(op: SurfaceOp | undefined): void {
    const budget = this.budget;
    if (!budget.owe || op === this.owing) return;
    const before = this.owing;
    this.owing = op;
    const warn = (error: unknown) =>
      this.log?.warn({ err: error }, 'could not record a final render owed');
    if (before) void budget.owe(this.buckets(before), this.id, false).catch(warn);
    if (op) void budget.owe(this.buckets(op), this.id, true).catch(warn);
  }
}
