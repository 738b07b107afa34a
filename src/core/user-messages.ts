/**
 * What users read when something goes wrong: one sentence, looked up by the
 * error's code. Never the raw error: it could name internals or secrets.
 */
import { ChutesError } from '../chutes/errors.js';
import { count } from './numbers.js';
import type { OptionError, OptionErrorCode, TextError } from './commands/options.js';
import type { SettingError, SettingErrorCode } from './settings/index.js';

const CHUTES_TEXT: Record<ChutesError['code'], (model: string) => string> = {
  unauthorized: () =>
    "⚠️ I can't reach the model: Chutes rejected this bot's API key. An admin needs to fix the key.",
  no_balance: () =>
    '⚠️ The Chutes account behind this bot has no balance or quota left. An admin needs to top it up.',
  model_not_found: (model) =>
    `⚠️ The model \`${model}\` is not available on Chutes. An admin can choose another one in the settings.`,
  overloaded: () => '⚠️ The model is overloaded right now. Please try again in a minute.',
  bad_request: () => '⚠️ Chutes refused this request. Try a shorter or different message.',
  prompt_rejected: () => '⚠️ Chutes refused this prompt. Try rephrasing it.',
  server_error: () => '⚠️ Chutes had an internal error. Please try again later.',
  network: () => '⚠️ I could not reach Chutes. Please try again later.',
  timeout: () => '⚠️ The model took too long to answer. Please try again later.',
  bad_response: () => '⚠️ The model stopped answering halfway. Please try again.',
};

/** The last line of an answer another model gave because the model was cold or full. */
export function fallbackNote(used: {
  readonly model: string;
  readonly from: string;
  readonly reason: 'cold' | 'full';
}): string {
  const why = used.reason === 'cold' ? 'has no instance running' : 'is at capacity';
  return `_(Answered by \`${used.model}\`: \`${used.from}\` ${why} right now.)_`;
}

/** The /usage line for admins after Chutes refused answers for lack of balance (402). */
export function paymentRefusalsText(
  refusals: { readonly count: number; readonly lastAt: Date },
  now: Date,
): string {
  const minutes = Math.max(0, Math.round((now.getTime() - refusals.lastAt.getTime()) / 60_000));
  const ago =
    minutes < 60
      ? `${minutes} min ago`
      : minutes < 48 * 60
        ? `${Math.round(minutes / 60)} h ago`
        : `${Math.round(minutes / 1440)} days ago`;
  const times = refusals.count === 1 ? 'once' : `${refusals.count} times`;
  return `⚠️ **Chutes refused ${times} in 30 days because the account has no balance left** (last ${ago}): top it up on chutes.ai.`;
}

export const PLACEHOLDER = '⏳ _Thinking…_';
export const RETRYING = '⏳ _The model is busy; trying again in a moment…_';
/** A retry after something other than the model failed (the database, the platform). */
export const RETRYING_OTHER = '⏳ _Something went wrong on my side; trying again in a moment…_';
export const EMPTY_PROMPT = 'Hi! Mention me with a question, for example: "@me what is a monad?"';
export const EMPTY_ANSWER = '_(The model returned an empty answer.)_';
export const STOPPED = '_(Stopped.)_';
export const TOO_LONG = '_(The answer was too long to show in full, so it stops here.)_';
export const CUT_OFF = '_(The answer reached the maximum length and was cut off.)_';
export const INTERNAL =
  '⚠️ Something went wrong on my side while answering. Please try again later.';
/** A store (the database) stayed out of reach longer than a job waits for it. */
export const STORE_UNAVAILABLE =
  "⚠️ I can't reach my database right now, so I couldn't finish this. Please try again in a few minutes.";

/**
 * The question (with the system prompt) does not fit the model's context,
 * less the tokens kept for the answer: no model was called. `questionRoom`
 * is the longest question that would fit, in tokens; 0 or less: none would.
 */
export function questionTooLongText(
  model: string,
  limit: { contextLength: number; answerTokens: number; questionRoom: number },
): string {
  const context = count(limit.contextLength);
  const answer = count(limit.answerTokens);
  if (limit.questionRoom <= 0) {
    return `⚠️ The model \`${model}\` has no room for a question: its context of ${context} tokens is taken by the system prompt and the ${answer} tokens kept for the answer, so an admin needs to shorten the system prompt or lower max_tokens.`;
  }
  // About four characters a token in English; fewer in most other languages.
  const chars = limit.questionRoom * 4;
  const rounded = count(chars >= 1000 ? Math.floor(chars / 1000) * 1000 : chars);
  return `⚠️ Your question is too long for the model \`${model}\`: its context of ${context} tokens, less the system prompt and the ${answer} tokens kept for the answer, leaves room for about ${count(limit.questionRoom)} tokens (roughly ${rounded} characters), so please shorten it.`;
}

export function userMessageFor(error: unknown, model: string): string {
  if (error instanceof ChutesError) return CHUTES_TEXT[error.code](model);
  return INTERNAL;
}

// Options, settings and /forget. `admins` names who counts as an admin on the
// platform, as a plural noun phrase: "members with the Manage Server
// permission" (Discord), "workspace admins and owners" (Slack).

/** A refused option or setting: settings add their own codes and suggestions. */
type RefusedValue = OptionError<OptionErrorCode | SettingErrorCode> &
  Pick<SettingError, 'suggestions'>;

const OPTION_ERROR_TEXT: Record<RefusedValue['code'], (e: RefusedValue) => string> = {
  unknown_option: (e) => `There is no option \`${e.key}\`; it takes ${e.allowed}.`,
  unknown_key: (e) => `There is no setting \`${e.key}\`; the settings are ${e.allowed}.`,
  empty: (e) => `${e.key} needs a value: ${e.allowed}.`,
  not_a_number: (e) => `${e.key} must be ${e.allowed}${got(e)}.`,
  not_an_integer: (e) => `${e.key} must be ${e.allowed}${got(e)}.`,
  out_of_range: (e) => `${e.key} must be ${e.allowed}${got(e)}.`,
  not_a_choice: (e) => `${e.key} must be ${e.allowed}${got(e)}.`,
  not_text: (e) => `${e.key} must be ${e.allowed}.`,
  too_long: (e) => `${e.key} is too long: it must be ${e.allowed}.`,
  invalid_characters: (e) =>
    `${e.key} contains characters it may not have: it must be ${e.allowed}.`,
  unknown_model: (e) =>
    `\`${e.received ?? ''}\` is not a Chutes model; ${e.key} must be ${e.allowed}` +
    (e.suggestions?.length
      ? ` (did you mean ${e.suggestions.map((m) => `\`${m}\``).join(', ')}?).`
      : '.'),
  not_a_boolean: (e) => `${e.key} must be ${e.allowed}${got(e)}.`,
  not_a_channel: (e) => `${e.key} must be ${e.allowed}${got(e)}.`,
};

function got(e: OptionError<string>): string {
  return e.received === undefined ? '' : `, not \`${e.received}\``;
}

/** One sentence for one rejected option or setting, whichever platform it came from. */
export function optionErrorText(error: RefusedValue): string {
  return OPTION_ERROR_TEXT[error.code](error);
}

/** The answer to a command whose options were refused: nothing was run. */
export function optionErrorsText(errors: readonly OptionError[]): string {
  return `⚠️ ${errors.map(optionErrorText).join(' ')}`;
}

/** The answer to a `/settings set` that was refused: settings are changed all or nothing. */
export function settingErrorsText(errors: readonly SettingError[]): string {
  const lines = errors.map((e) => `• ${optionErrorText(e)}`);
  return ['⚠️ Nothing was changed:', ...lines].join('\n');
}

/** `/settings show` for admins: a model in force that the models list no longer holds. */
export function missingModelText(model: string, key: string): string {
  return `⚠️ \`${model.replace(/`/g, "'")}\` (**${key}**) is no longer in the Chutes models list: answers with it fail; pick another with \`/settings set\`.`;
}

/** After a refused model name: models to choose from, with their prices and whether they take images. */
export function modelChoicesText(line: string, suggested: boolean): string {
  return `${suggested ? 'Close matches' : 'Some models'}: ${line}`;
}

export const NO_SETTING_CHANGES = 'Nothing to change: name at least one setting and its new value.';
export const SETTINGS_RESET =
  '✅ Settings reset to the defaults; channels with settings of their own keep them.';

/** A `/settings set` for one channel that named settings only the whole tenant has. */
export function tenantOnlySettingsText(keys: readonly string[], tenant: string): string {
  const named = keys.map((key) => `\`${key}\``).join(', ');
  return `⚠️ Nothing was changed: ${named} ${keys.length === 1 ? 'is' : 'are'} set for the whole ${tenant} only; set ${keys.length === 1 ? 'it' : 'them'} without a channel.`;
}

/** After `/settings reset` for one channel. */
export function channelSettingsResetText(channelId: string, tenant: string): string {
  return `✅ <#${channelId}> has no settings of its own any more: the ${tenant}'s are in force there.`;
}

export function settingsAdminOnlyText(admins: string): string {
  return `🔒 Only ${admins} may change the settings; everyone can see them with \`/settings show\`.`;
}

export function usageAdminOnlyText(admins: string): string {
  return `🔒 Only ${admins} may see the usage.`;
}

export function forgetAdminOnlyText(admins: string): string {
  return `🔒 Here only ${admins} may use \`/forget\`.`;
}

/** After `/forget`: how many stored messages of this channel or thread were deleted. */
export function forgottenText(count: number): string {
  if (count === 0) return 'There was no stored history in this channel to forget.';
  return `🧹 Forgot the history of this channel (${count} ${count === 1 ? 'message' : 'messages'}).`;
}

/** What a Slack command answers at once while its image is drawn. */
export const GENERATING = '🎨 Generating…';

/** The first line of /help; a line per command the person may run follows. */
export const HELP_HEADING = '**Commands you can use here**';

/** A /settings, /forget or /usage that failed for good, by its failure code (job-error.ts). */
export function commandFailureText(code: string): string {
  return code === 'unavailable' ? STORE_UNAVAILABLE : INTERNAL;
}

/** /imagine failures, in one sentence each. */
export function imageFailureText(error: unknown, model: string): string {
  if (error instanceof ChutesError) {
    switch (error.code) {
      case 'model_not_found':
        return `⚠️ The image model \`${model}\` is not available on Chutes. An admin can choose another one in the settings.`;
      case 'prompt_rejected':
        return '⚠️ Chutes refused to draw this prompt. Try rephrasing it.';
      case 'bad_request':
        return '⚠️ Chutes refused this image request. Try another prompt or size.';
      case 'timeout':
        return '⚠️ The image took too long to generate. Please try again later.';
      case 'bad_response':
        return '⚠️ Chutes did not send back a usable image. Please try again.';
      default:
        return CHUTES_TEXT[error.code](model);
    }
  }
  return INTERNAL;
}

export function imageTooLargeText(bytes: number, limit: number): string {
  const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return `⚠️ The image came out at ${mib(bytes)}, more than the ${mib(limit)} this channel accepts. Try a smaller size.`;
}

export const MODEL_LIST_UNAVAILABLE =
  "⚠️ I couldn't fetch the Chutes model list to check that model, so nothing was changed. Please try again in a minute.";

/** A question the gateway could not hand to the queue (it is unreachable and the outbox full). */
export const QUESTION_NOT_QUEUED =
  '⚠️ I could not take your question right now. Please try again in a minute.';
/** A command the gateway could not hand to the queue. */
export const COMMAND_NOT_QUEUED =
  '⚠️ I could not take this command right now. Please try again in a minute.';

/** A question past a flood limit: whose, and how long to wait. */
export function floodText(scope: 'user' | 'channel', retryAfterMs: number): string {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const who = scope === 'user' ? 'You are' : 'This channel is';
  return `🐢 ${who} asking faster than I can keep up with: please wait about ${seconds} s, then ask again.`;
}

// A command typed as text (Slack): what was wrong with how it was written,
// then how to write it. Echoes of what was typed sit in inline code.

/** Longest echo of user input in an error message. */
const ECHO_MAX = 40;

const TEXT_ERROR_TEXT: Record<TextError['code'], (e: TextError) => string> = {
  help: () => '',
  unknown_flag: (e) => `Unknown option ${echo(e.typed)}.`,
  given_twice: (e) => `${echo(e.typed)} is given twice.`,
  needs_value: (e) => `${echo(e.typed)} needs a value.`,
  missing: (e) => `The ${e.typed.replace(/_/g, ' ')} is missing.`,
  unknown_subcommand: (e) => `Unknown subcommand ${echo(e.typed)}.`,
  nothing_after: (e) => `${echo(e.typed)} takes nothing after it.`,
  needs_pair: (e) => `${echo(e.typed)} needs a key and a value.`,
  quote_value: () => 'Put quotes around a value with spaces: `key="…"`.',
  not_a_channel: (e) =>
    `${echo(e.typed)} is not a channel: pick one from the list as you type #, or write \`here\`.`,
};

/** One line: what was wrong (nothing for a request for help), then the command's usage. */
export function commandTextErrorText(error: TextError, usage: string): string {
  const problem = TEXT_ERROR_TEXT[error.code](error);
  return `⚠️ ${problem ? `${problem} ` : ''}Usage: \`${usage}\``;
}

export function unknownCommandText(command: string): string {
  return `Unknown command ${command}.`;
}

/** User input inside inline code: no backticks or line breaks to break out of it, and short. */
function echo(typed: string): string {
  const clean = typed.replace(/[`\r\n]+/g, ' ').trim();
  const short = clean.length > ECHO_MAX ? `${clean.slice(0, ECHO_MAX - 1)}…` : clean;
  return `\`${short}\``;
}

/** The placeholder while a reasoning model thinks, after `seconds` (0: the plain placeholder). */
export function thinkingForText(seconds: number): string {
  return seconds > 0 ? `⏳ _Thinking… ${seconds} s_` : PLACEHOLDER;
}

/** A thread's status while a reasoning model thinks (Slack shows "<app> is thinking… 12 s"). */
export function thinkingStatusText(seconds: number): string {
  return seconds > 0 ? `is thinking… ${seconds} s` : 'is thinking…';
}

/** The heading of show_reasoning's summary above an answer. */
export function thoughtForText(seconds: number): string {
  return `💭 _Thought for ${seconds} s_`;
}
/** What the buttons on an answer say. */
export const CONTROL_LABELS = {
  stop: 'Stop',
  regenerate: 'Regenerate',
  up: '👍',
  down: '👎',
} as const;
/** A button pressed by someone who neither asked the question nor is an admin. */
export const CONTROL_NOT_YOURS = 'Only the person who asked, or an admin, can use this button.';
/** A button on an answer that already ended, was stopped, replaced or deleted. */
export const CONTROL_STALE =
  'This answer has ended or been replaced since, so this button does nothing any more.';
/** The private answer to a 👍 or 👎. */
export const FEEDBACK_THANKS = 'Thanks for the feedback! Only you can see this.';
/** A button press that could not be queued. */
export const CONTROL_NOT_QUEUED = 'I could not take that button press right now; please try again.';
