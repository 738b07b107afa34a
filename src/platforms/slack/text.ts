/**
 * Slack mrkdwn as it arrives in events → the plain text the model reads.
 *
 * Slack escapes only `&`, `<` and `>` in what people type, so every `<…>` in
 * an event is a token Slack wrote (mention, channel, link, date) and tokens
 * never nest. Everything outside the tokens is left as typed: `*bold*`,
 * `code` and code blocks reach the model unchanged (Slack escapes and
 * tokenises inside code too, so code needs no special case).
 *
 * @see https://docs.slack.dev/messaging/formatting-message-text
 */

export interface PlainTextOptions {
  /** The bot's own user id (`auth.test` → `user_id`); its mention is removed, not rewritten. */
  readonly botUserId: string;
  /** Display names by user id, for `<@U…>` mentions; see {@link mentionedUserIds}. */
  readonly userNames: ReadonlyMap<string, string>;
  /**
   * Channel links stay links, `<#C1>`, rather than `#general`: commands read
   * a channel so (core/commands/options.ts).
   */
  readonly channelLinks?: boolean;
}

type Token =
  | { readonly kind: 'user'; readonly id: string; readonly label?: string }
  | { readonly kind: 'channel'; readonly id: string; readonly label?: string }
  | { readonly kind: 'broadcast'; readonly name: string; readonly label?: string }
  | { readonly kind: 'subteam'; readonly id: string; readonly label?: string }
  | { readonly kind: 'date'; readonly timestamp: string; readonly label?: string }
  | { readonly kind: 'link'; readonly url: string; readonly label?: string };

/** A Slack token: literal `<` and `>` always arrive escaped, so `[^<>]` cannot cut one short. */
const TOKEN = /<([^<>]*)>/g;
/** The only three entities Slack writes; one pass, so `&amp;lt;` becomes `&lt;`, never `<`. */
const ENTITY = /&(lt|gt|amp);/g;
const ENTITY_CHARS: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&' };
const BROADCASTS = new Set(['here', 'channel', 'everyone']);
const SCHEME = /^[a-z][a-z0-9+.-]*:(?:\/\/)?/i;
const MAILTO = /^mailto:/i;
const LEADING_BLANKS = /^[^\S\n]+/;
const TRAILING_BLANKS = /[^\S\n]+$/;
/** Punctuation that hugs the word before it: no space is put back between it and that word. */
const HUGS_PREVIOUS = /^[,.;:!?)\]}]/;

/**
 * The distinct user ids mentioned in `text` (`<@U1>`, `<@U1|name>`), in order
 * of first appearance, so the caller can look up display names before
 * calling {@link slackToPlainText}. The bot's own id is included when the
 * bot is mentioned; filter it out if you have no use for it.
 */
export function mentionedUserIds(text: string): string[] {
  const ids = new Set<string>();
  for (const match of text.matchAll(TOKEN)) {
    const token = parseToken(match[1] ?? '');
    if (token.kind === 'user') ids.add(token.id);
  }
  return [...ids];
}

/**
 * Whether `text` calls on anyone: a person (the bot included), a user group,
 * or `@here`/`@channel`/`@everyone`. A thread reply that does is addressed
 * to them, not a follow-up for the bot.
 */
export function mentionsAnyone(text: string): boolean {
  for (const match of text.matchAll(TOKEN)) {
    const { kind } = parseToken(match[1] ?? '');
    if (kind === 'user' || kind === 'subteam' || kind === 'broadcast') return true;
  }
  return false;
}

/**
 * Slack mrkdwn → plain text for the model.
 *
 * - the bot's own mention is removed, the whitespace around it collapsed
 *   (and a `:` or `,` right after a leading mention dropped: it addressed the bot);
 * - `<@U1>` → `@DisplayName` from `userNames`, else the label of `<@U1|name>`, else `@U1`;
 * - `<#C1|general>` → `#general` (`#C1` without a label; `<#C1>` with `channelLinks`);
 * - `<!here>`, `<!channel>`, `<!everyone>` → `@here`, `@channel`, `@everyone`;
 * - `<!subteam^S1|@team>` → `@team` (`@S1` without a label);
 * - `<!date^…|fallback>` → the fallback text;
 * - `<url|label>` → `label (url)`, or just the url (or the label, when Slack
 *   only added a scheme to what was typed: `<http://x.io|x.io>` → `x.io`);
 *   `mailto:` links show the address;
 * - `&lt;`, `&gt;`, `&amp;` are unescaped last, once.
 *
 * The result is trimmed; it is empty when the message was only the mention.
 */
export function slackToPlainText(text: string, options: PlainTextOptions): string {
  // `null` marks a removed bot mention; the join decides what whitespace survives it.
  const pieces: (string | null)[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    pieces.push(unescapeEntities(text.slice(last, match.index)));
    pieces.push(renderToken(parseToken(match[1] ?? ''), options));
    last = match.index + match[0].length;
  }
  pieces.push(unescapeEntities(text.slice(last)));
  return joinAroundRemovals(pieces).trim();
}

function parseToken(inner: string): Token {
  const bar = inner.indexOf('|');
  const body = bar < 0 ? inner : inner.slice(0, bar);
  // Newer events send `<#C1|>`: an empty label means no label.
  const label = bar < 0 || bar === inner.length - 1 ? undefined : inner.slice(bar + 1);
  const withLabel = label === undefined ? {} : { label };
  if (body.startsWith('@')) return { kind: 'user', id: body.slice(1), ...withLabel };
  if (body.startsWith('#')) return { kind: 'channel', id: body.slice(1), ...withLabel };
  if (body.startsWith('!')) {
    const [name = '', arg = ''] = body.slice(1).split('^');
    if (name === 'subteam') return { kind: 'subteam', id: arg, ...withLabel };
    if (name === 'date') return { kind: 'date', timestamp: arg, ...withLabel };
    // Other `!` commands (here, channel, everyone, the legacy `group`) all read as a broadcast.
    return { kind: 'broadcast', name, ...withLabel };
  }
  return { kind: 'link', url: body, ...withLabel };
}

function renderToken(
  token: Token,
  { botUserId, userNames, channelLinks }: PlainTextOptions,
): string | null {
  const label = token.label === undefined ? undefined : unescapeEntities(token.label);
  switch (token.kind) {
    case 'user':
      if (token.id === botUserId) return null;
      return `@${nonEmpty(userNames.get(token.id)) ?? stripAt(label) ?? token.id}`;
    case 'channel':
      return channelLinks ? `<#${token.id}>` : `#${label ?? token.id}`;
    case 'broadcast':
      return BROADCASTS.has(token.name) ? `@${token.name}` : (label ?? `@${token.name}`);
    case 'subteam':
      return `@${stripAt(label) ?? token.id}`;
    case 'date':
      return label ?? isoDate(token.timestamp);
    case 'link':
      return renderLink(unescapeEntities(token.url), label);
  }
}

function renderLink(url: string, label: string | undefined): string {
  const shown = MAILTO.test(url) ? url.replace(MAILTO, '') : url;
  if (shown === '') return label ?? '';
  if (label === undefined || label === url || label === shown) return shown;
  // Slack auto-links `example.com` as `<http://example.com|example.com>`: keep what was typed.
  if (label === url.replace(SCHEME, '')) return label;
  return `${label} (${shown})`;
}

function joinAroundRemovals(pieces: readonly (string | null)[]): string {
  let out = '';
  let removed = false;
  for (const piece of pieces) {
    if (piece === null) {
      out = out.replace(TRAILING_BLANKS, '');
      removed = true;
      continue;
    }
    let text = piece;
    if (removed) {
      const atLineStart = out === '' || out.endsWith('\n');
      text = text.replace(LEADING_BLANKS, '');
      // "<@bot>: question" or "<@bot>, question": the punctuation was for the bot.
      if (atLineStart) text = text.replace(/^[,:]/, '').replace(LEADING_BLANKS, '');
      // Adjacent tokens leave empty pieces: keep looking for the text after the gap.
      if (text === '') continue;
      if (!atLineStart && !text.startsWith('\n') && !HUGS_PREVIOUS.test(text)) out += ' ';
      removed = false;
    }
    out += text;
  }
  return out;
}

function unescapeEntities(text: string): string {
  return text.replace(ENTITY, (_, name: string) => ENTITY_CHARS[name] ?? '');
}

/** Subteam labels arrive as `@team`, and some clients send user labels the same way. */
function stripAt(label: string | undefined): string | undefined {
  return nonEmpty(label?.replace(/^@/, ''));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Slack requires a fallback on dates; this only covers a client that forgot it. */
function isoDate(timestamp: string): string {
  const seconds = Number(timestamp);
  return Number.isFinite(seconds) && timestamp !== '' ? new Date(seconds * 1000).toISOString() : '';
}

/**
 * Where untrusted text (a model's answer) would become a Slack token that
 * notifies people: `<!here>`, `<!channel>`, `<!everyone>`, `<!subteam^…>`,
 * `<@U…>`, also spelled with `&lt;`.
 */
const PING_START = /(<|&lt;)(?=[!@])/g;

/**
 * Text Slack shows as written but that notifies nobody: a zero-width space
 * after the `<` of every would-be mention token keeps it from being one.
 * Idempotent and prefix-stable: the space goes right before the character
 * that completes the pattern, so `muteMentions(a + b)` starts with
 * `muteMentions(a)`, and a token split across two stream appends is muted
 * as long as the whole text is muted before it is cut into appends.
 */
export function muteMentions(text: string): string {
  return text.replace(PING_START, '$1\u200B');
}
