/**
 * A command typed as one line of text (Slack's slash commands), read into the
 * job's command name and options as the definitions declare them, and the
 * usage line that says how to type it. Syntax only: whether a value is
 * acceptable is checked with every other platform's (options.ts).
 *
 * - Options: the `rest` option takes the words given to no flag; the others
 *   are `--flag value` or `--flag=value`, before, between or after those
 *   words. A free-text option takes the words up to the next flag (or one
 *   quoted span); any other takes one word.
 * - Subcommands: the first word (`/settings set …`); nothing at all runs the
 *   default one. A subcommand typed as `pairs` takes `key value…` (the value
 *   is the rest of the text) or `key=value key2="a value"`; keys are
 *   lower-cased with `-` read as `_`, and the core decides which exist. One
 *   with a channel option takes the channel first (`<#C1> model=…`,
 *   `here model=…`) or as a pair (`channel=here`).
 * - A channel is its mention (`<#C1>`, `<#C1|general>`: the platform leaves
 *   channel links so) or `here`; options.ts reads it.
 * - A command without options ignores what follows it; a subcommand without
 *   options refuses it, and a channel option refuses what names no channel,
 *   so `/settings show model` is not misread.
 *
 * The text comes in plain (the platform unescaped it).
 */
import { isGroup, type Action, type CommandDefinition } from './definition.js';
import { readChannel, type OptionSpec, type TextError, type TextErrorCode } from './options.js';

export type { TextError, TextErrorCode } from './options.js';

export type TextResult =
  | {
      readonly ok: true;
      /** The job's command name: `imagine`, `settings.set`. */
      readonly name: string;
      readonly options: Record<string, string>;
    }
  | { readonly ok: false; readonly error: TextError };

/**
 * `--name` or `--name=value`; macOS and iOS turn a typed `--` into `—` (or `–`).
 * Any name counts, so a typo is reported rather than drawn; a lone dash or `--5` is text.
 */
const FLAG = /^(?:--|—|–)([a-z][^\s=]*)(?:=([\s\S]*))?$/i;
/** The quotes that close a span each quote opens; curly ones come from smart punctuation. */
const CLOSERS: Readonly<Record<string, string>> = {
  '"': '"”',
  '“': '”"',
  '„': '“”"',
};
const WHITESPACE = /\s/;

/** Reads the text typed after `/<command>`. */
export function parseCommandText(command: CommandDefinition, text: string): TextResult {
  const plain = text.trim();
  if (!isGroup(command)) return parseAction(command.name, command, plain, true);
  const [, head = '', tail = ''] = /^(\S*)\s*([\s\S]*)$/.exec(plain) ?? [];
  const name = head === '' ? command.defaultSubcommand : head.toLowerCase();
  const action = command.subcommands.find((sub) => sub.name === name);
  if (!action) return fail(head === '' ? 'help' : 'unknown_subcommand', head);
  return parseAction(`${command.name}.${action.name}`, action, tail.trim(), false);
}

/** How to type the command after its name: `<prompt> [--size 1024x768]`, `show | reset`. */
export function textHint(command: CommandDefinition): string {
  if (!isGroup(command)) return actionHint(command);
  return command.subcommands.map((sub) => [sub.name, actionHint(sub)].join(' ').trim()).join(' | ');
}

/** The usage line: `/imagine <prompt> [--size 1024x768] …`. */
export function textUsage(command: CommandDefinition): string {
  return [`/${command.name}`, textHint(command)].filter(Boolean).join(' ');
}

/** One action's usage line: `/settings set <key> <value>`. */
export function textActionUsage(command: CommandDefinition, action: Action): string {
  const words = [`/${command.name}`, isGroup(command) ? action.name : '', actionHint(action)];
  return words.filter(Boolean).join(' ');
}

function actionHint(action: Action): string {
  const channel = channelOption(action);
  if (action.typedAs === 'pairs')
    return [channel ? `[${hint(channel)}]` : '', '<key> <value>'].join(' ').trim();
  return (action.options ?? [])
    .map((option) => {
      const shown = option.rest ? hint(option) : `--${flagOf(option)} ${hint(option)}`;
      return option.required ? shown : `[${shown}]`;
    })
    .join(' ');
}

function hint(option: OptionSpec): string {
  return option.hint ?? (option.type === 'channel' ? '#channel|here' : `<${option.name}>`);
}

function channelOption(action: Action): OptionSpec | undefined {
  return action.options?.find((option) => option.type === 'channel');
}

function flagOf(option: OptionSpec): string {
  return option.flag ?? option.name;
}

function parseAction(name: string, action: Action, text: string, topLevel: boolean): TextResult {
  const options = action.options ?? [];
  if (options.length === 0 && action.typedAs !== 'pairs') {
    if (text !== '' && !topLevel) return fail('nothing_after', action.name);
    return { ok: true, name, options: {} };
  }
  const parsed =
    action.typedAs === 'pairs' ? parsePairsAfterChannel(action, text) : parseFlags(options, text);
  if ('error' in parsed) return { ok: false, error: parsed.error };
  // A channel that names none is refused with the usage, so `/settings show model` is not misread.
  const channel = channelOption(action);
  const typed = channel && parsed.options[channel.name];
  if (typed !== undefined && readChannel(typed) === undefined) return fail('not_a_channel', typed);
  return { ok: true, name, options: parsed.options };
}

/** Pairs, after the channel they are for when the action has one and it comes first. */
function parsePairsAfterChannel(action: Action, text: string): Parsed {
  const channel = channelOption(action);
  const [, head = '', tail = ''] = /^(\S*)\s*([\s\S]*)$/.exec(text) ?? [];
  if (!channel) return parsePairs(action.name, text);
  // No key starts with #: that is a channel's name typed by hand, which names no channel id.
  if (head.startsWith('#')) return wrong('not_a_channel', head);
  if (readChannel(head) === undefined) return parsePairs(action.name, text);
  const parsed = parsePairs(action.name, tail);
  if ('error' in parsed) return parsed;
  if (channel.name in parsed.options) return wrong('given_twice', channel.name);
  return { options: { [channel.name]: head, ...parsed.options } };
}

type Parsed = { readonly options: Record<string, string> } | { readonly error: TextError };

function parseFlags(options: readonly OptionSpec[], text: string): Parsed {
  const flags = new Map<string, OptionSpec>();
  for (const option of options) {
    if (option.rest) continue;
    for (const spelling of [flagOf(option), option.name, ...(option.aliases ?? [])])
      flags.set(spelling, option);
  }
  const restOption = options.find((option) => option.rest);
  const words = splitWords(text);
  const rest: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    const flag = FLAG.exec(word);
    if (!flag) {
      if (!restOption) return wrong('unknown_flag', word);
      rest.push(word);
      continue;
    }
    const typedName = (flag[1] as string).toLowerCase();
    if (typedName === 'help') return wrong('help', '');
    const option = flags.get(typedName);
    if (option === undefined) return wrong('unknown_flag', word.replace(/=[\s\S]*$/, ''));
    if (values[option.name] !== undefined) return wrong('given_twice', `--${flagOf(option)}`);
    let value: string;
    if (isFreeText(option)) {
      // The words up to the next flag, unless the value is one quoted span: then
      // the words after it are the rest's again (`--no "text, watermark" a cat`).
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
    if (value === '') return wrong('needs_value', `--${typedName}`);
    values[option.name] = option.fromText ? option.fromText(value) : value;
  }
  if (restOption) {
    // A rest that is one quoted span loses its quotes; quotes inside it are meant.
    const joined = rest.length === 1 ? unquote(rest[0] as string) : rest.join(' ');
    if (joined.trim() !== '') values[restOption.name] = joined.trim();
  }
  for (const option of options) {
    if (option.required && values[option.name] === undefined)
      return option.rest
        ? wrong('missing', option.name)
        : wrong('needs_value', `--${flagOf(option)}`);
  }
  return { options: values };
}

/** `key value…`, `key = value…` or `key=value key2="…"` → options, or what was wrong. */
function parsePairs(subcommand: string, rest: string): Parsed {
  const missing = wrong('needs_pair', subcommand);
  if (rest === '') return missing;
  const words = splitWords(rest);
  const pair = /^([^=]+)=([\s\S]+)$/;
  if (pair.test(words[0] as string)) {
    const options: Record<string, string> = {};
    for (const word of words) {
      const match = pair.exec(word);
      if (!match) return wrong('quote_value', '');
      const key = pairKey(match[1] as string);
      if (key in options) return wrong('given_twice', key);
      const value = unquote(match[2] as string).trim();
      if (value === '') return wrong('needs_value', key);
      options[key] = value;
    }
    return { options };
  }
  const single = /^([^\s=:]+)(?:\s*[=:]\s*|\s+)([\s\S]*)$/.exec(rest);
  if (!single) return missing;
  const value = unquote((single[2] as string).trim()).trim();
  if (value === '') return missing;
  return { options: { [pairKey(single[1] as string)]: value } };
}

function pairKey(typed: string): string {
  return unquote(typed.trim()).toLowerCase().replace(/-/g, '_');
}

/** Prose takes several words; names, numbers and choices take one. */
function isFreeText(option: OptionSpec): boolean {
  return option.type === 'string' && !option.noSpaces;
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

function fail(code: TextErrorCode, typed: string): TextResult {
  return { ok: false, error: { code, typed } };
}

function wrong(code: TextErrorCode, typed: string): { readonly error: TextError } {
  return { error: { code, typed } };
}
