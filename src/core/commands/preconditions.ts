/**
 * Who may run a command, as reusable pieces (sapphire's preconditions). The
 * platform decides who is an admin (`Actor.isAdmin`); the rules live here.
 */
import type { Actor } from '../settings/index.js';
import type { Here, Precondition } from './definition.js';

/** Anyone who can see the command. */
export const everyone: Precondition = {
  adminsOnly: false,
  allows: () => true,
  refusal: () => '',
};

/** The tenant's admins, always. */
export function admins(refusal: (adminsAre: string) => string): Precondition {
  return { adminsOnly: true, allows: (actor) => actor.isAdmin, refusal };
}

/** A rule of its own, such as one that depends on a setting. */
export function when(
  allows: (actor: Actor, here: Here) => boolean | Promise<boolean>,
  refusal: (adminsAre: string) => string,
): Precondition {
  return { adminsOnly: false, allows, refusal };
}
