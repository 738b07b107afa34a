/**
 * Handles a press of a button on an answer, on whichever worker takes it:
 * checks who pressed, then acts. Stop records the request where the worker
 * streaming the answer looks (stop-watch.ts); a press on an answer that has
 * already ended gets one private sentence, as does a press by someone who
 * may not.
 */
import type { ControlJob } from '../jobs.js';
import type { ConversationStore } from '../ports.js';
import type { Actor } from '../settings/index.js';
import type { InteractionSurface } from '../surface.js';
import { CONTROL_NOT_YOURS, CONTROL_STALE } from '../user-messages.js';
import type { StopStore } from './stop-watch.js';

export interface ControlDeps {
  readonly interactions: (platform: string) => InteractionSurface;
  readonly stops: Pick<StopStore, 'request'>;
  readonly store: Pick<ConversationStore, 'storedAnswer'>;
  readonly log: { info(details: object, message: string): void };
}

/** Who pressed, looked up where the gateway could not. */
async function whoPressed(job: ControlJob, surface: InteractionSurface): Promise<Actor> {
  if (!job.actorPending || !surface.person) return job.actor;
  return surface.person(job.tenantId, job.actor.id);
}

/** The asker, or an admin of the tenant. */
export function mayPress(job: Pick<ControlJob, 'askerId'>, actor: Actor): boolean {
  return actor.id === job.askerId || actor.isAdmin;
}

export async function handleControlJob(job: ControlJob, deps: ControlDeps): Promise<void> {
  const surface = deps.interactions(job.platform);
  const tell = (text: string) => surface.whisper?.(job.interaction, text);
  const actor = await whoPressed(job, surface);
  if (!mayPress(job, actor)) {
    await tell(CONTROL_NOT_YOURS);
    return;
  }
  switch (job.action) {
    case 'stop': {
      // An answer already stored has ended: nothing to stop any more.
      if ((await deps.store.storedAnswer(job.answerId)) !== undefined) {
        await tell(CONTROL_STALE);
        return;
      }
      const first = await deps.stops.request(job.answerId, actor.id);
      deps.log.info({ answerId: job.answerId, by: actor.id, first }, 'answer stop requested');
      return;
    }
    default:
      // Buttons this version does not put on answers (from a newer one).
      await tell(CONTROL_STALE);
  }
}
