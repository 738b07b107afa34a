/**
 * How each command is run on a platform of a given style, one line per
 * action, and the lines of /help: both derived from the definitions.
 */
import type { Actor } from '../settings/index.js';
import {
  actionsOf,
  describeFor,
  isGroup,
  type Action,
  type CommandDefinition,
  type CommandStyle,
  type Here,
} from './definition.js';
import { textActionUsage } from './text-form.js';

/**
 * `/imagine prompt:<prompt> [size:1024x768] …` where options are picked one
 * by one (Discord), `/imagine <prompt> [--size 1024x768] …` where typed.
 */
export function usageLine(command: CommandDefinition, action: Action, style: CommandStyle): string {
  if (style.form === 'text') return textActionUsage(command, action);
  const options = action.options ?? [];
  // Pairs: any setting as its own option; a channel option is named first.
  const named =
    action.typedAs === 'pairs' ? options.filter((option) => option.type === 'channel') : options;
  const args = named.map((option) => {
    const shown = `${option.name}:${option.hint ?? `<${option.name}>`}`;
    return option.required ? shown : `[${shown}]`;
  });
  if (action.typedAs === 'pairs') args.push('<key>:<value> …');
  return [`/${command.name}`, isGroup(command) ? action.name : '', ...args]
    .filter(Boolean)
    .join(' ');
}

/** A line for each action this person may run here: its usage, then what it does. */
export async function commandLines(
  commands: readonly CommandDefinition[],
  actor: Actor,
  here: Here,
  style: CommandStyle,
): Promise<string[]> {
  const lines: string[] = [];
  for (const command of commands) {
    for (const { action } of actionsOf(command)) {
      if (!(await action.precondition.allows(actor, here))) continue;
      lines.push(
        `• \`${usageLine(command, action, style)}\` — ${describeFor(action, style.words)}`,
      );
    }
  }
  return lines;
}
