import { fail } from './errors.js';
import type { Params } from './params.js';

/** `markdown_text`, and a stream's cumulative markdown. */
export const MARKDOWN_LIMIT = 12_000;
/** `chat.postMessage` keeps this much of `text` and silently drops the rest. */
export const TEXT_TRUNCATE_AT = 40_000;
/** `chat.update` refuses longer `text` (`msg_too_long`, its documented error). */
export const UPDATE_TEXT_LIMIT = 4_000;
export const MAX_BLOCKS = 50;

export interface MessageContent {
  text?: string;
  markdown?: string;
  blocks?: unknown[];
  attachments?: unknown[];
}

/**
 * Block Kit as far as the fake checks it: an array (else
 * `invalid_blocks_format`) of at most 50 objects with a `type`, markdown
 * blocks within 12,000 characters (else `invalid_blocks`).
 */
export function readBlocks(p: Params, name = 'blocks'): unknown[] | undefined {
  const blocks = p.json(name, 'invalid_blocks_format');
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) throw fail('invalid_blocks_format', `${name} must be an array`);
  if (blocks.length > MAX_BLOCKS) {
    throw fail(
      'invalid_blocks',
      `no more than ${MAX_BLOCKS} items allowed [json-pointer:/${name}]`,
    );
  }
  for (const b of blocks as unknown[]) {
    const type = (b as { type?: unknown } | null)?.type;
    if (typeof type !== 'string') throw fail('invalid_blocks', 'every block needs a type');
    const text = (b as { text?: unknown }).text;
    if (type === 'markdown' && typeof text === 'string' && text.length > MARKDOWN_LIMIT) {
      throw fail('invalid_blocks', `markdown block longer than ${MARKDOWN_LIMIT}`);
    }
  }
  return blocks;
}

/**
 * The content of `chat.postMessage`/`chat.update`/`chat.postEphemeral`, with
 * Slack's rules: something to show (`no_text`), `markdown_text` alone
 * (`markdown_text_conflict`), `markdown_text` ≤ 12,000 (`msg_too_long`),
 * `text` truncated at 40,000 on posts and refused over 4,000 on updates.
 * Lengths are UTF-16 code units, which is never less than Slack's count.
 */
export function readContent(p: Params, mode: 'post' | 'update'): MessageContent {
  const markdown = p.text('markdown_text');
  let text = p.text('text');
  const blocks = readBlocks(p);
  const attachments = p.json('attachments', 'invalid_attachments');
  if (attachments !== undefined && !Array.isArray(attachments)) throw fail('invalid_attachments');
  if (markdown !== undefined) {
    if (text !== undefined || blocks !== undefined) throw fail('markdown_text_conflict');
    if (markdown.length > MARKDOWN_LIMIT) throw fail('msg_too_long');
    return { markdown, text: markdown };
  }
  if (text === undefined && !blocks?.length && !(attachments as unknown[] | undefined)?.length) {
    throw fail('no_text');
  }
  if (text !== undefined) {
    if (mode === 'update' && text.length > UPDATE_TEXT_LIMIT) throw fail('msg_too_long');
    if (text.length > TEXT_TRUNCATE_AT) text = text.slice(0, TEXT_TRUNCATE_AT);
  }
  return {
    text: text ?? '',
    ...(blocks ? { blocks } : {}),
    ...(attachments ? { attachments: attachments as unknown[] } : {}),
  };
}

export const visibleText = (c: { text?: string; markdown?: string }): string =>
  c.markdown ?? c.text ?? '';
