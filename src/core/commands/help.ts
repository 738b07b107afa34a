/** /help: the commands this person may run here, one line each, from their definitions. */
import { HELP_HEADING } from '../user-messages.js';
import { defineCommand } from './definition.js';
import { everyone } from './preconditions.js';
import { commandLines } from './usage-lines.js';

export const help = defineCommand({
  name: 'help',
  description: 'List the commands you can use here',
  precondition: everyone,
  private: true,
  run: async ({ commands, job, here, style }) =>
    [HELP_HEADING, ...(await commandLines(commands, job.actor, here, style))].join('\n'),
});
