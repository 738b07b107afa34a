/**
 * Slack slash commands arrive as one `text` string; this turns it into the
 * option names Discord sends, so the core handles both alike. Syntax only:
 * whether a size, seed, key or value is acceptable is the core's call
 * (core/imagine-job.ts, core/settings-validate.ts).
 *
 * Both parsers take the `text` field of the slash command payload as Slack
 * sent it: `&lt;`, `&gt;`, `&amp;` (and mentions, should `should_escape` be
 * switched on in the manifest) are converted here, so do not unescape first.
 *
 * @see https://docs.slack.dev/interactivity/implementing-slash-commands
 */
import { slackToPlainText } from './text.js';

/** One slash command as the manifest declares it and help text shows it. */
export interface SlashCommandSpec {
  /** With the leading `/`; at most 32 characters. */
  readonly command: `/${string}`;
  readonly description: string;
  /** Shown by Slack after the command name while typing; omitted when it takes nothing. */
  readonly usageHint?: string;
}

/** The Slack slash commands; `manifest.json` must list the same (a unit test checks it). */
export const SLASH_COMMANDS: readonly SlashCommandSpec[] = [
  {
    command: '/imagine',
    description: 'Generate an image with a Chutes image model',
    usageHint: '<prompt> [--size 1024x768] [--seed 7] [--no <what to avoid>]',
  },
  {
    command: '/settings',
    description: "Show or change this workspace's model and generation settings",
    usageHint: 'show | set <key> <value> | reset',
  },
  {
    command: '/forget',
    description: "Clear the bot's stored history of this channel",
  },
  {
    command: '/usage',
    description: "This workspace's answers, tokens and images for 1, 7 and 30 days (admins)",
  },
];

export type ImagineTextResult =
  | { readonly ok: true; readonly options: Record<string, string | number> }
  | { readonly ok: false; readonly message: string };

export type SettingsTextResult =
  | {
      readonly ok: true;
      readonly command: 'settings.show' | 'settings.set' | 'settings.reset';
      readonly options: Record<string, string>;
    }
  | { readonly ok: false; readonly message: string };

type ImagineKey = 'size' | 'seed' | 'negative_prompt';

/** Flag spellings → option name. `--no` and its synonyms are the Discord `negative_prompt`. */
const IMAGINE_FLAGS: Readonly<Record<string, ImagineKey>> = {
  size: 'size',
  seed: 'seed',
  no: 'negative_prompt',
  negative: 'negative_prompt',
  'negative-prompt': 'negative_prompt',
  negative_prompt: 'negative_prompt',
};
/** How a repeated option is named back to the user, whatever synonym they used. */
const FLAG_NAMES: Readonly<Record<ImagineKey, string>> = {
  size: '--size',
  seed: '--seed',
  negative_prompt: '--no',
};
/**
 * `--name` or `--name=value`; macOS and iOS turn a typed `--` into `—` (or `–`).
 * Any name counts, so a typo is reported rather than drawn; a lone dash or `--5` is prompt text.
 */
const FLAG = /^(?:--|—|–)([a-z][^\s=]*)(?:=([\s\S]*))?$/i;
/** Which closing quotes end a span opened by each quote; curly quotes come from smart punctuation. */
const CLOSERS: Readonly<Record<string, string>> = {
  '"': '"”',
  '“': '”"',
  '„': '“”"',
};
const WHITESPACE = /\s/;
/** Longest echo of user input in an error message. */
const ECHO_MAX = 40;
const NO_MENTIONS = { botUserId: '', userNames: new Map<string, string>() } as const;

/**
 * Parses `/imagine <prompt> [--size WxH] [--seed N] [--no <text>]`.
 *
 * Flags may come before, between or after prompt words; `--size=1024x768`
 * works too. `--no` (also `--negative`, `--negative-prompt`) takes the
 * words up to the next flag, or one quoted value. Options are `prompt`,
 * `size` (`WxH`, `×` or `X` read as `x`), `seed` (as typed) and
 * `negative_prompt`, present only when given.
 *
 * @returns the options, or a one-line Markdown message: what was wrong, then the usage.
 */
export function parseImagineText(text: string): ImagineTextResult {
  const fail = usageFailure('/imagine');
  const words = splitWords(toPlain(text));
  const prompt: string[] = [];
  const options: Partial<Record<ImagineKey, string>> = {};
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    const flag = FLAG.exec(word);
    if (!flag) {
      prompt.push(word);
      continue;
    }
    const name = (flag[1] as string).toLowerCase();
    if (name === 'help') return fail();
    const key = IMAGINE_FLAGS[name];
    if (key === undefined) return fail(`Unknown option ${echo(word.replace(/=[\s\S]*$/, ''))}.`);
    if (options[key] !== undefined) return fail(`${echo(FLAG_NAMES[key])} is given twice.`);
    const typed = `--${name}`;
    let value: string;
    if (key === 'negative_prompt') {
      // The words up to the next flag, unless the value is one quoted span: then
      // the words after it are prompt again (`--no "text, watermark" a cat`).
      const parts = flag[2] === undefined ? [] : [flag[2]];
      const next = words[i + 1];
      if (parts.length === 0 && next !== undefined && isQuoted(next)) {
        parts.push(next);
        i += 1;
      } else if (parts.length === 0 || !isQuoted(parts[0] as string)) {
        while (i + 1 < words.length && !FLAG.test(words[i + 1] as string)) {
          parts.push(words[i + 1] as string);
          i += 1;
        }
      }
      value = unquote(parts.join(' '));
    } else if (flag[2] !== undefined) {
      value = unquote(flag[2]);
    } else {
      const next = words[i + 1];
      value = next === undefined || FLAG.test(next) ? '' : unquote(next);
      if (value !== '') i += 1;
    }
    value = value.trim();
    if (value === '') return fail(`${echo(typed)} needs a value.`);
    options[key] = key === 'size' ? value.replace(/\s+/g, '').replace(/[X×]/g, 'x') : value;
  }
  // A prompt that is one quoted span loses its quotes; quotes inside a prompt are meant.
  const joined = prompt.length === 1 ? unquote(prompt[0] as string) : prompt.join(' ');
  const promptText = joined.trim();
  if (promptText === '') return fail('The prompt is missing.');
  return { ok: true, options: { prompt: promptText, ...options } };
}

/**
 * Parses `/settings show`, `/settings` (= show), `/settings reset` and
 * `/settings set <key> <value…>` or `/settings set key=value key2="a value"`.
 *
 * In the first `set` form the value is the rest of the text (surrounding
 * quotes stripped), so a system prompt needs no quotes; `key = value` and
 * `key: value` are read the same. In the `key=value` form a value with spaces
 * needs quotes. Keys are lower-cased with `-` read as `_`; the core decides
 * which exist.
 *
 * @returns the core command and its options, or a one-line Markdown message.
 */
export function parseSettingsText(text: string): SettingsTextResult {
  const fail = usageFailure('/settings');
  const plain = toPlain(text);
  const [, head = '', tail = ''] = /^(\S*)\s*([\s\S]*)$/.exec(plain) ?? [];
  const rest = tail.trim();
  switch (head.toLowerCase()) {
    case '':
    case 'show':
      if (rest !== '') return fail('`show` takes nothing after it.');
      return { ok: true, command: 'settings.show', options: {} };
    case 'reset':
      // Not a per-key reset: refusing beats silently resetting every setting.
      if (rest !== '') return fail('`reset` takes nothing after it: it resets every setting.');
      return { ok: true, command: 'settings.reset', options: {} };
    case 'set': {
      const parsed = parseAssignments(rest);
      if (typeof parsed === 'string') return fail(parsed);
      return { ok: true, command: 'settings.set', options: parsed };
    }
    default:
      return fail(`Unknown subcommand ${echo(head)}.`);
  }
}

/** `key value…`, `key = value…` or `key=value key2="…"` → options, or what was wrong. */
function parseAssignments(rest: string): Record<string, string> | string {
  const missing = '`set` needs a key and a value.';
  if (rest === '') return missing;
  const words = splitWords(rest);
  const pair = /^([^=]+)=([\s\S]+)$/;
  if (pair.test(words[0] as string)) {
    const options: Record<string, string> = {};
    for (const word of words) {
      const match = pair.exec(word);
      if (!match) return 'Put quotes around a value with spaces: `key="…"`.';
      const key = settingKey(match[1] as string);
      if (key in options) return `${echo(key)} is given twice.`;
      const value = unquote(match[2] as string).trim();
      if (value === '') return `${echo(key)} needs a value.`;
      options[key] = value;
    }
    return options;
  }
  const single = /^([^\s=:]+)(?:\s*[=:]\s*|\s+)([\s\S]*)$/.exec(rest);
  if (!single) return missing;
  const value = unquote((single[2] as string).trim()).trim();
  if (value === '') return missing;
  return { [settingKey(single[1] as string)]: value };
}

function settingKey(typed: string): string {
  return unquote(typed.trim()).toLowerCase().replace(/-/g, '_');
}

/**
 * Whitespace-separated words; a quote at the start of a word (or right after
 * `=`) opens a span that ends at a matching quote followed by whitespace, so
 * `"a cat"` is one word but the inch mark in `12" screen` is just a character.
 * An unclosed quote is an ordinary character.
 */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (WHITESPACE.test(text[i] as string)) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < text.length && !WHITESPACE.test(text[j] as string)) {
      const close = j === i || text[j - 1] === '=' ? closingQuote(text, j) : -1;
      j = close > 0 ? close + 1 : j + 1;
    }
    words.push(text.slice(i, j));
    i = j;
  }
  return words;
}

/** Index of the quote closing the one at `open` (followed by whitespace or the end), or -1. */
function closingQuote(text: string, open: number): number {
  const closers = CLOSERS[text[open] as string];
  if (closers === undefined) return -1;
  for (let k = open + 1; k < text.length; k += 1) {
    const atWordEnd = k + 1 === text.length || WHITESPACE.test(text[k + 1] as string);
    if (atWordEnd && closers.includes(text[k] as string)) return k;
  }
  return -1;
}

function isQuoted(word: string): boolean {
  return word.length >= 2 && closingQuote(word, 0) === word.length - 1;
}

function unquote(word: string): string {
  return isQuoted(word) ? word.slice(1, -1) : word;
}

function toPlain(text: string): string {
  return slackToPlainText(text, NO_MENTIONS);
}

/** User input inside inline code: no backticks or line breaks to break out of it, and short. */
function echo(typed: string): string {
  const clean = typed.replace(/[`\r\n]+/g, ' ').trim();
  const short = clean.length > ECHO_MAX ? `${clean.slice(0, ECHO_MAX - 1)}…` : clean;
  return `\`${short}\``;
}

function usageFailure(command: SlashCommandSpec['command']) {
  const spec = SLASH_COMMANDS.find((entry) => entry.command === command);
  const usage = `Usage: \`${[command, spec?.usageHint].filter(Boolean).join(' ')}\``;
  return (problem?: string): { readonly ok: false; readonly message: string } => ({
    ok: false,
    message: problem ? `⚠️ ${problem} ${usage}` : `⚠️ ${usage}`,
  });
}
