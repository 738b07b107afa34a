/**
 * Slack's slash commands, derived from the core's definitions
 * (core/commands/): a command's `text` is unescaped here and read by the
 * core's text form (core/commands/text-form.ts), its mistakes answered in the
 * core's sentences; the manifest's `slash_commands` are rendered from the
 * same definitions (manifest.ts checks the committed file).
 *
 * The text is the `text` field of the slash command payload as Slack sent
 * it: `&lt;`, `&gt;`, `&amp;` (and mentions, should `should_escape` be
 * switched on in the manifest) are converted here, so do not unescape first.
 *
 * @see https://docs.slack.dev/interactivity/implementing-slash-commands
 */
import {
  actionsOf,
  describeFor,
  type Action,
  type CommandDefinition,
  type CommandStyle,
} from '../../core/commands/definition.js';
import { COMMAND_LIST, commandFor, commandNamed } from '../../core/commands/index.js';
import { parseCommandText, textHint, textUsage } from '../../core/commands/text-form.js';
import type { CommandName } from '../../core/commands/index.js';
import { commandTextErrorText, unknownCommandText } from '../../core/user-messages.js';
import { slackToPlainText } from './text.js';

/** How Slack offers commands: options typed after the command; its words for tenants and admins. */
export const SLACK_STYLE: CommandStyle = {
  form: 'text',
  words: { tenant: 'workspace', here: 'this channel', admins: 'admins' },
};

/** One entry of the manifest's `features.slash_commands`. */
export interface ManifestSlashCommand {
  /** With the leading `/`; at most 32 characters. */
  readonly command: `/${string}`;
  readonly url: string;
  readonly description: string;
  /** Shown by Slack after the command name while typing; omitted when it takes nothing. */
  readonly usage_hint?: string;
  readonly should_escape: boolean;
}

export type ParsedCommand =
  | {
      readonly ok: true;
      readonly name: CommandName;
      readonly action: Action;
      readonly options: Record<string, string>;
    }
  | { readonly ok: false; readonly message: string };

const NO_MENTIONS = { botUserId: '', userNames: new Map<string, string>() } as const;

/**
 * A slash command (`/settings`) and its text, read into the command the core
 * runs and its options as typed; or a one-line Markdown message: what was
 * wrong, then the usage.
 */
export function parseSlashCommand(command: string, text: string): ParsedCommand {
  const definition = command.startsWith('/') ? commandNamed(command.slice(1)) : undefined;
  if (!definition) return { ok: false, message: unknownCommandText(command) };
  const parsed = parseCommandText(
    definition,
    slackToPlainText(text, {
      ...NO_MENTIONS,
      // Its channel option reads a channel by its id, so channels stay links (`<#C1>`).
      channelLinks: takesChannel(definition),
    }),
  );
  if (!parsed.ok)
    return { ok: false, message: commandTextErrorText(parsed.error, textUsage(definition)) };
  const found = commandFor(parsed.name);
  if (!found) return { ok: false, message: unknownCommandText(command) };
  return {
    ok: true,
    name: parsed.name as CommandName,
    action: found.action,
    options: parsed.options,
  };
}

function takesChannel(command: CommandDefinition): boolean {
  return actionsOf(command).some(({ action }) =>
    (action.options ?? []).some((option) => option.type === 'channel'),
  );
}

/** The manifest's `slash_commands`: every command, sent to the one request URL. */
export function manifestSlashCommands(
  requestUrl: string,
  commands: readonly CommandDefinition[] = COMMAND_LIST,
): ManifestSlashCommand[] {
  return commands.map((command) => {
    const hint = textHint(command);
    return {
      command: `/${command.name}`,
      url: requestUrl,
      description: describeFor(command, SLACK_STYLE.words),
      ...(hint ? { usage_hint: hint } : {}),
      should_escape: false,
    };
  });
}
