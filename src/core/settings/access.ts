/**
 * Who may do what that depends on a tenant's settings, decided from a
 * platform-neutral actor; `/settings set` and `reset` are for admins
 * (the `admins()` precondition in commands/preconditions.ts).
 */
import type { Actor, EffectiveSettings } from './types.js';

/** `/usage`, which names people and what they used: admins only. */
export function canSeeUsage(actor: Actor): boolean {
  return actor.isAdmin;
}

/** `/forget`: anyone, unless the tenant's admins kept it for themselves. */
export function canForget(
  actor: Actor,
  effective: Pick<EffectiveSettings, 'forgetAdminOnly'>,
): boolean {
  return actor.isAdmin || !effective.forgetAdminOnly;
}
