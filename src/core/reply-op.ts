/** The calls a reply makes, and what each costs of the budget. */
import type { BudgetPriority } from './rate-budget.js';
import type { SurfaceOp } from './surface.js';

export type Op =
  | { kind: 'post' | 'edit'; index: number; text: string }
  | { kind: 'status'; text: string }
  | { kind: 'streamStart' | 'streamAppend'; text: string }
  | { kind: 'streamEnd' };

export const OP_BUDGET: Record<Op['kind'], SurfaceOp> = {
  post: 'post',
  edit: 'edit',
  streamStart: 'streamStart',
  streamAppend: 'streamAppend',
  streamEnd: 'streamStop',
  status: 'status',
};

/** What `carried` says of a message that streamed natively: it never carries buttons. */
export const NATIVE = 'native';

/** The first message of an answer is what people wait for; everything else is an update. */
export function priorityOf(op: Op): BudgetPriority {
  if (op.kind === 'streamStart') return 'first';
  if (op.kind === 'post' && op.index === 0) return 'first';
  return 'update';
}
