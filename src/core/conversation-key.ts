/**
 * The conversation key: which stored history an answer continues, which
 * questions take turns together, what /forget clears. This is the one place
 * that builds and reads it.
 *
 * Encoding: `<channel>` for a channel (a Discord thread is a channel of its
 * own), `<channel>/<thread>` for a conversation nested in a channel (a Slack
 * thread), so a channel's key is a prefix of its threads'. Databases hold
 * these strings: the encoding must not change.
 */
import { MalformedRefError } from './malformed-ref.js';

declare const conversationKeyBrand: unique symbol;

/** A conversation key, as encodeConversationKey builds it. */
export type ConversationKey = string & { readonly [conversationKeyBrand]: true };

/** What a conversation key names. */
export interface ConversationPlace {
  readonly channelId: string;
  /** A conversation nested in the channel (a Slack thread's parent ts). */
  readonly threadId?: string;
}

const SEPARATOR = '/';
const SHAPE = 'expected <channel> or <channel>/<thread>, neither empty';

/** The key's parts, or undefined when it is not a key. */
function partsOf(key: string): [string, string?] | undefined {
  const parts = key.split(SEPARATOR);
  return parts.length <= 2 && parts.every((part) => part !== '')
    ? (parts as [string, string?])
    : undefined;
}

/** Throws MalformedRefError for an empty id or one holding the separator. */
export function encodeConversationKey(place: ConversationPlace): ConversationKey {
  const { channelId, threadId } = place;
  const key = threadId === undefined ? channelId : `${channelId}${SEPARATOR}${threadId}`;
  const parts = partsOf(key);
  if (!parts || parts[1] !== threadId) {
    throw new MalformedRefError(
      `conversation place ${JSON.stringify(place)}`,
      [SHAPE],
      'An id that is empty or holds "/" cannot be part of a key.',
    );
  }
  return key as ConversationKey;
}

/** Throws MalformedRefError for a string that is not a conversation key. */
export function decodeConversationKey(key: string): ConversationPlace {
  const parts = partsOf(key);
  if (!parts) throw new MalformedRefError(`conversation key ${JSON.stringify(key)}`, [SHAPE]);
  const [channelId, threadId] = parts;
  return threadId === undefined ? { channelId } : { channelId, threadId };
}

export function isConversationKey(value: unknown): value is ConversationKey {
  return typeof value === 'string' && partsOf(value) !== undefined;
}

/**
 * What the key of every conversation nested in `scope` starts with (a
 * channel's threads): /forget in `scope` clears `scope` and these.
 */
export function nestedKeyPrefix(scope: ConversationKey): string {
  return `${scope}${SEPARATOR}`;
}
