/**
 * Every command, in the order platforms list them. Adding a command is its
 * module (a definition: ./definition.ts) and its line here; Discord's
 * registration, Slack's parsing and manifest, /help and the job schema follow.
 */
import { actionsOf, findAction, type CommandDefinition, type JobNames } from './definition.js';
import { forget } from './forget.js';
import { help } from './help.js';
import { imagine } from './imagine.js';
import { settings } from './settings.js';
import { usage } from './usage.js';

export const COMMAND_LIST = [
  imagine,
  settings,
  forget,
  usage,
  help,
] as const satisfies readonly CommandDefinition[];

/** The command a job runs: `imagine`, `settings.set`, … */
export type CommandName = JobNames<(typeof COMMAND_LIST)[number]>;

const ACTIONS = COMMAND_LIST.flatMap(actionsOf);

/** The job schema's command names. */
export const COMMANDS = ACTIONS.map((entry) => entry.jobName) as readonly CommandName[];

/** Commands that take their turn in the conversation like a chat job. */
export const ORDERED_COMMANDS: readonly CommandName[] = ACTIONS.filter(
  (entry) => entry.action.ordered,
).map((entry) => entry.jobName as CommandName);

/** The command a job's name belongs to, and that action. */
export function commandFor(jobName: string) {
  return findAction(COMMAND_LIST, jobName);
}

/** A command by its name as platforms show it (`settings`). */
export function commandNamed(name: string): CommandDefinition | undefined {
  return COMMAND_LIST.find((command) => command.name === name);
}
