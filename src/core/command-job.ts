/**
 * Runs a command job through its definition (core/commands/): who may run
 * it, its options checked, its handler, and the answer, with no platform
 * objects involved.
 */
import { withActor } from './commands/actor.js';
import type { AnswerAction, CommandDeps, Here } from './commands/definition.js';
import { COMMAND_LIST, commandFor } from './commands/index.js';
import { checkOptions } from './commands/options.js';
import { classifyFailure, toJobError } from './job-error.js';
import { settingsChannel, type CommandJob, type JobContext } from './jobs.js';
import { commandFailureText, INTERNAL, optionErrorsText } from './user-messages.js';

/**
 * Answers the command. A failure is retried without a word; the one that ends
 * the job (attempts spent, a store away longer than a job waits) answers with
 * the one sentence for it, so no command is left on "thinking…".
 */
export async function handleCommandJob(
  job: CommandJob,
  ctx: JobContext,
  deps: CommandDeps,
): Promise<void> {
  const found = commandFor(job.command);
  // The job schema only admits the listed commands.
  if (!found) throw new Error(`no command ${job.command}`);
  const { action } = found;
  if ('job' in action) {
    if (!deps.imagine) throw new Error(`${job.command} needs the image deps`);
    return action.job(job, ctx, deps.imagine);
  }
  const surface = deps.interactions(job.platform, job.tenantId);
  try {
    const text = await answer(action, await withActor(job, surface), surface.adminsAre, deps);
    await surface.respond(job.interaction, { text });
  } catch (error) {
    // Stopped from outside: another attempt follows, wherever this one was.
    if (ctx.signal?.aborted) throw error;
    const failure = classifyFailure(error, ctx);
    if (failure.final) {
      try {
        await surface.respond(job.interaction, { text: commandFailureText(failure.code) });
      } catch (respondError) {
        deps.log.warn(
          { err: respondError, jobId: ctx.jobId },
          'could not show the failure to the user',
        );
      }
    }
    throw toJobError(error, failure);
  }
}

/** A command the queue gave up on (its workers kept dying): its answer says so. */
export async function reportAbandonedCommand(
  job: CommandJob,
  deps: Pick<CommandDeps, 'interactions'>,
): Promise<void> {
  await deps.interactions(job.platform, job.tenantId).respond(job.interaction, { text: INTERNAL });
}

/** Who may run it, then its options, then its handler: the first that has something to say. */
async function answer(
  action: AnswerAction,
  job: CommandJob,
  adminsAre: string,
  deps: CommandDeps,
): Promise<string> {
  const here: Here = {
    settings: once(() => deps.settings.get(job.platform, job.tenantId, settingsChannel(job))),
  };
  if (!(await action.precondition.allows(job.actor, here)))
    return action.precondition.refusal(adminsAre);
  const checked = action.checksOwnOptions
    ? { ok: true as const, values: job.options }
    : checkOptions(action.options ?? [], job.options);
  if (!checked.ok) return optionErrorsText(checked.errors);
  const style = deps.styles(job.platform);
  return action.run(
    { job, options: checked.values, here, adminsAre, style, commands: COMMAND_LIST },
    deps,
  );
}

/** Calls `read` once, when first asked. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= read());
}
