/**
 * Who may do what with a tenant's settings, decided from a platform-neutral
 * actor. The platform adapter decides `isAdmin` (Discord: Manage Server;
 * Slack: workspace admin or owner); the rules live here, once.
 */
import type { EffectiveSettings } from './settings.js';

export interface Actor {
  readonly id: string;
  /** Display name, kept in the audit log next to the id. */
  readonly name: string;
  readonly isAdmin: boolean;
}

/** `/settings set` and `/settings reset`; `/settings show` is for everyone. */
export function canChangeSettings(actor: Actor): boolean {
  return actor.isAdmin;
}

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
