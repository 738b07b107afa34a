/** Who ran a command, where the gateway left looking them up to the worker. */
import type { CommandJob } from '../jobs.js';
import type { InteractionSurface } from '../surface.js';

/**
 * The job with its actor looked up where the gateway left that to the
 * worker: who may run a command is decided on what the platform says now.
 */
export async function withActor(
  job: CommandJob,
  surface: Pick<InteractionSurface, 'person'>,
): Promise<CommandJob> {
  if (!job.actorPending || !surface.person) return job;
  const actor = await surface.person(job.tenantId, job.actor.id);
  return { ...job, actor, actorPending: false };
}
