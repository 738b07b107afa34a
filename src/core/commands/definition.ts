/**
 * What a command is: its name, description, typed options, who may run it
 * and its handler, in one definition (one module per command, listed in
 * ./index.ts). Everything else is derived from the definitions: Discord's
 * registration, Slack's text parsing, usage lines and manifest, /help, the
 * job schema's command names, and the check of every option in the worker.
 */
import type { ImagineDeps } from '../imagine-job.js';
import type { ConversationKey } from '../conversation-key.js';
import type { CommandJob, JobContext } from '../jobs.js';
import type { ModelCatalog, SettingsAdmin } from '../ports.js';
import type { PaymentRefusalSource } from '../payment-notice.js';
import type { UsageSource } from '../usage.js';
import type { FeedbackStore } from '../controls/feedback.js';
import type { Actor, Defaults, EffectiveSettings } from '../settings/index.js';
import type { InteractionSurface } from '../surface.js';
import type { OptionSpec, OptionValues } from './options.js';

/** What command handlers are given: the ports they answer through and read from. */
export interface CommandDeps {
  readonly interactions: (platform: string, tenantId: string) => InteractionSurface;
  /** How each platform offers commands, for answers that show them (/help). */
  readonly styles: (platform: string) => CommandStyle;
  readonly settings: SettingsAdmin;
  readonly conversations: {
    forget(platform: string, conversationKey: ConversationKey): Promise<number>;
  };
  readonly models: ModelCatalog;
  readonly usage: UsageSource;
  /** Chutes' refusals for lack of balance, for `/usage`; unset: not shown. */
  readonly payments?: PaymentRefusalSource;
  /** Votes on answers, for /usage; unset: it says nothing of them. */
  readonly feedback?: Pick<FeedbackStore, 'byModel'>;
  readonly defaults: Defaults;
  /** For a command that answers by itself (/imagine), when the worker hands it here. */
  readonly imagine?: ImagineDeps;
  readonly log: {
    info(details: object, message: string): void;
    warn(details: object, message: string): void;
  };
  readonly now?: () => Date;
}

/** What a precondition may look at besides the person: the tenant's settings, read when asked. */
export interface Here {
  settings(): Promise<EffectiveSettings>;
}

/** Who may run a command (sapphire's preconditions): a rule and the sentence for the others. */
export interface Precondition {
  /** Admins only, always: descriptions say so after the text, "(Manage Server)". */
  readonly adminsOnly: boolean;
  allows(actor: Actor, here: Here): boolean | Promise<boolean>;
  /** What someone who may not run it reads; `adminsAre` names the platform's admins. */
  refusal(adminsAre: string): string;
}

/** The platform's words in descriptions (`{tenant}`, `{here}`) and after admin-only ones. */
export interface PlatformWords {
  /** "server", "workspace". */
  readonly tenant: string;
  /** What /forget clears: "this channel or thread". */
  readonly here: string;
  /** After an admin-only command's description, in parentheses: "Manage Server". */
  readonly admins: string;
}

/** How a platform offers commands: the words it uses, and how options are given. */
export interface CommandStyle {
  /**
   * `options`: picked one by one in the platform's UI (Discord); `text`: typed
   * after the command (Slack).
   */
  readonly form: 'options' | 'text';
  readonly words: PlatformWords;
}

/** What a handler is given: the job (its actor looked up), its checked options, where it runs. */
export interface CommandCall<V> {
  readonly job: CommandJob;
  readonly options: V;
  readonly here: Here;
  readonly adminsAre: string;
  readonly style: CommandStyle;
  /** Every command, as registered (for /help). */
  readonly commands: readonly CommandDefinition[];
}

interface ActionBase<O extends readonly OptionSpec[]> {
  /** Lower case, at most 32 characters; a subcommand's name is its first word on Slack. */
  readonly name: string;
  /**
   * One line, at most 100 characters with the platform's words: `{tenant}` and
   * `{here}` are replaced, and "(admins)" follows when the precondition says so.
   */
  readonly description: string;
  readonly options?: O;
  readonly precondition: Precondition;
  /** Only the person who ran it sees the answer (Discord: ephemeral; Slack's answers always are). */
  readonly private?: boolean;
  /** Takes its turn in the conversation like a chat job (/forget waits for the answers there). */
  readonly ordered?: boolean;
  /** What the person sees at once where the platform shows the acknowledgement (Slack). */
  readonly working?: string;
  /**
   * Typed as text, its options are `key value` or `key=value …` pairs of any
   * number (`/settings set`), rather than a rest and flags.
   */
  readonly typedAs?: 'pairs';
  /**
   * Its handler checks the options itself, with the same checks and words:
   * `/settings set` takes keys in any spelling, all or nothing, and models
   * from the live Chutes list.
   */
  readonly checksOwnOptions?: boolean;
}

/** An action whose answer is text: precondition and options are checked before `run`. */
export interface AnswerAction<
  O extends readonly OptionSpec[] = readonly OptionSpec[],
> extends ActionBase<O> {
  run(call: CommandCall<OptionValues<O>>, deps: CommandDeps): Promise<string>;
}

/**
 * An action that answers by itself (a file, usage rows, its own failure
 * sentences): it gets the job as queued, and checks its options with the same checks.
 */
export interface JobAction<
  O extends readonly OptionSpec[] = readonly OptionSpec[],
> extends ActionBase<O> {
  job(job: CommandJob, ctx: JobContext, deps: ImagineDeps): Promise<void>;
}

/** Something a person runs: a command without subcommands, or one subcommand. */
export type Action<O extends readonly OptionSpec[] = readonly OptionSpec[]> =
  AnswerAction<O> | JobAction<O>;

/** A command with subcommands (`/settings show|set|reset`). */
export interface CommandGroup<S extends Action = Action> {
  readonly name: string;
  readonly description: string;
  readonly subcommands: readonly S[];
  /** Typed as text with nothing after the command: the subcommand run (`/settings` shows). */
  readonly defaultSubcommand?: string;
}

export type CommandDefinition = Action | CommandGroup;

/** The definition, its option types flowing into its handler and its name into the job's. */
export function defineCommand<const N extends string, const O extends readonly OptionSpec[]>(
  action: (AnswerAction<O> | JobAction<O>) & { readonly name: N },
): Action<O> & { readonly name: N } {
  return action;
}

export function defineGroup<const N extends string, const S extends Action>(
  group: CommandGroup<S> & { readonly name: N },
): CommandGroup<S> & { readonly name: N } {
  return group;
}

/** The names jobs carry for these commands: `imagine`, `settings.show`, … */
export type JobNames<C> = C extends {
  readonly name: infer N extends string;
  readonly subcommands: readonly (infer S)[];
}
  ? S extends { readonly name: infer A extends string }
    ? `${N}.${A}`
    : never
  : C extends { readonly name: infer N extends string }
    ? N
    : never;

export function isGroup(command: CommandDefinition): command is CommandGroup {
  return 'subcommands' in command;
}

/** A command's actions with the name a job carries for each: `forget`, `settings.set`. */
export function actionsOf(
  command: CommandDefinition,
): readonly { readonly jobName: string; readonly action: Action }[] {
  return isGroup(command)
    ? command.subcommands.map((action) => ({ jobName: `${command.name}.${action.name}`, action }))
    : [{ jobName: command.name, action: command }];
}

/** The command a job's name belongs to, and that action. */
export function findAction(
  commands: readonly CommandDefinition[],
  jobName: string,
): { readonly command: CommandDefinition; readonly action: Action } | undefined {
  for (const command of commands) {
    const found = actionsOf(command).find((entry) => entry.jobName === jobName);
    if (found) return { command, action: found.action };
  }
  return undefined;
}

/** A description with the platform's words, and who may run it when only admins may. */
export function describeFor(
  item: Pick<Action, 'description'> & Partial<Pick<Action, 'precondition'>>,
  words: PlatformWords,
): string {
  const text = item.description
    .replace(/\{tenant\}/g, words.tenant)
    .replace(/\{here\}/g, words.here);
  return item.precondition?.adminsOnly ? `${text} (${words.admins})` : text;
}
