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
 * blocks within 12,000 characters, `actions` and `context_actions` blocks as
 * below (else `invalid_blocks`).
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
  let markdown = 0;
  const actionIds = new Set<string>();
  for (const [index, b] of (blocks as unknown[]).entries()) {
    const type = (b as { type?: unknown } | null)?.type;
    if (typeof type !== 'string') throw fail('invalid_blocks', 'every block needs a type');
    const text = (b as { text?: unknown }).text;
    if (type === 'markdown') {
      if (typeof text !== 'string') throw fail('invalid_blocks', 'a markdown block needs text');
      // The markdown blocks of one payload share the 12,000 characters.
      markdown += text.length;
      if (markdown > MARKDOWN_LIMIT)
        throw fail('invalid_blocks', `markdown blocks longer than ${MARKDOWN_LIMIT} in all`);
    }
    if (type === 'actions')
      checkActions(b as Record<string, unknown>, `/${name}/${index}`, actionIds);
    if (type === 'context_actions')
      checkContextActions(b as Record<string, unknown>, `/${name}/${index}`, actionIds);
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

/** What the channel shows: `markdown_text`, else the markdown blocks, else `text`. */
export const visibleText = (c: {
  text?: string;
  markdown?: string;
  blocks?: readonly unknown[];
}): string => c.markdown ?? markdownOfBlocks(c.blocks) ?? c.text ?? '';

/** Block Kit's limits for an actions block and its buttons (docs.slack.dev: actions block, button element). */
export const MAX_ACTION_ELEMENTS = 25;
export const MAX_ACTION_ID = 255;
export const MAX_BUTTON_TEXT = 75;
export const MAX_BUTTON_VALUE = 2_000;

/** Block Kit's limits for a context actions block (docs.slack.dev: context actions block). */
export const MAX_CONTEXT_ACTION_ELEMENTS = 5;
/** A feedback button's `accessibility_label` (docs.slack.dev: feedback buttons element). */
export const MAX_ACCESSIBILITY_LABEL = 75;

/**
 * An `actions` block: 1 to 25 elements; the fake models buttons: `action_id`
 * of at most 255 characters, unique in the message; `text` plain_text of at
 * most 75; `value` at most 2,000; `style` primary or danger.
 */
function checkActions(block: Record<string, unknown>, at: string, seen: Set<string>): void {
  for (const [i, e] of elementsOf(block, at, MAX_ACTION_ELEMENTS).entries()) {
    const where = `[json-pointer:${at}/elements/${i}]`;
    if (e['type'] !== 'button') throw fail('invalid_blocks', `only buttons are modelled ${where}`);
    checkButtonText(e['text'], where);
    checkActionId(e['action_id'], seen, where);
    checkValue(e['value'], where);
    const style = e['style'];
    if (style !== undefined && style !== 'primary' && style !== 'danger')
      throw fail('invalid_blocks', `style must be primary or danger ${where}`);
  }
}

/**
 * A `context_actions` block: 1 to 5 elements, `feedback_buttons` or
 * `icon_button`. Feedback buttons need `positive_button` and
 * `negative_button`, each with plain_text `text` of at most 75 characters, a
 * `value` of at most 2,000 and an optional `accessibility_label` of at most
 * 75; an icon button needs an `icon` and plain_text `text`. `action_id`s as
 * for buttons.
 */
function checkContextActions(block: Record<string, unknown>, at: string, seen: Set<string>): void {
  for (const [i, e] of elementsOf(block, at, MAX_CONTEXT_ACTION_ELEMENTS).entries()) {
    const where = `[json-pointer:${at}/elements/${i}]`;
    if (e['type'] === 'feedback_buttons') {
      for (const side of ['positive_button', 'negative_button'] as const) {
        const button = e[side] as Record<string, unknown> | undefined;
        const inner = `[json-pointer:${at}/elements/${i}/${side}]`;
        if (!button || typeof button !== 'object')
          throw fail('invalid_blocks', `missing required field: ${side} ${where}`);
        checkButtonText(button['text'], inner);
        if (typeof button['value'] !== 'string')
          throw fail('invalid_blocks', `missing required field: value ${inner}`);
        checkValue(button['value'], inner);
        const label = button['accessibility_label'];
        if (
          label !== undefined &&
          (typeof label !== 'string' || label.length > MAX_ACCESSIBILITY_LABEL)
        )
          throw fail(
            'invalid_blocks',
            `accessibility_label must be at most ${MAX_ACCESSIBILITY_LABEL} characters ${inner}`,
          );
      }
    } else if (e['type'] === 'icon_button') {
      if (typeof e['icon'] !== 'string' || e['icon'].length === 0)
        throw fail('invalid_blocks', `missing required field: icon ${where}`);
      checkButtonText(e['text'], where);
      checkValue(e['value'], where);
    } else {
      throw fail('invalid_blocks', `must be feedback_buttons or icon_button ${where}`);
    }
    checkActionId(e['action_id'], seen, where);
  }
}

function elementsOf(
  block: Record<string, unknown>,
  at: string,
  max: number,
): Record<string, unknown>[] {
  const elements = block['elements'];
  if (!Array.isArray(elements) || elements.length === 0)
    throw fail('invalid_blocks', `missing required field: elements [json-pointer:${at}]`);
  if (elements.length > max)
    throw fail('invalid_blocks', `no more than ${max} items allowed [json-pointer:${at}/elements]`);
  return elements.map((e) => (e ?? {}) as Record<string, unknown>);
}

function checkButtonText(value: unknown, where: string): void {
  const text = value as { type?: unknown; text?: unknown } | undefined;
  if (text?.type !== 'plain_text' || typeof text.text !== 'string' || text.text.length === 0)
    throw fail('invalid_blocks', `a button needs plain_text text ${where}`);
  if (text.text.length > MAX_BUTTON_TEXT)
    throw fail('invalid_blocks', `must be less than ${MAX_BUTTON_TEXT + 1} characters ${where}`);
}

function checkActionId(actionId: unknown, seen: Set<string>, where: string): void {
  if (actionId === undefined) return;
  if (typeof actionId !== 'string' || actionId.length === 0 || actionId.length > MAX_ACTION_ID)
    throw fail('invalid_blocks', `action_id must be 1 to ${MAX_ACTION_ID} characters ${where}`);
  if (seen.has(actionId))
    throw fail('invalid_blocks', `action_id ${actionId} is already used in this message ${where}`);
  seen.add(actionId);
}

function checkValue(value: unknown, where: string): void {
  if (value !== undefined && (typeof value !== 'string' || value.length > MAX_BUTTON_VALUE))
    throw fail('invalid_blocks', `value must be at most ${MAX_BUTTON_VALUE} characters ${where}`);
}

/** The `action_id`s of a message's interactive elements (buttons, feedback buttons), in order. */
export function actionIdsOf(blocks: readonly unknown[] | undefined): string[] {
  return (blocks ?? []).flatMap((b) => {
    const block = b as { type?: unknown; elements?: unknown };
    if (!ACTION_BLOCKS.has(block.type) || !Array.isArray(block.elements)) return [];
    return block.elements.flatMap((e) => {
      const id = (e as { action_id?: unknown }).action_id;
      return typeof id === 'string' ? [id] : [];
    });
  });
}

const ACTION_BLOCKS = new Set<unknown>(['actions', 'context_actions']);

/** A message's feedback buttons: the element's `action_id` and the value of each button. */
export interface FeedbackButtons {
  actionId: string;
  positive: string;
  negative: string;
}

export function feedbackButtonsOf(blocks: readonly unknown[] | undefined): FeedbackButtons[] {
  return (blocks ?? []).flatMap((b) => {
    const block = b as { type?: unknown; elements?: unknown };
    if (block.type !== 'context_actions' || !Array.isArray(block.elements)) return [];
    return (block.elements as Record<string, unknown>[]).flatMap((e) => {
      if (e['type'] !== 'feedback_buttons' || typeof e['action_id'] !== 'string') return [];
      const value = (side: string) => String((e[side] as { value?: unknown }).value);
      return [
        {
          actionId: e['action_id'],
          positive: value('positive_button'),
          negative: value('negative_button'),
        },
      ];
    });
  });
}

/** The text of a message's markdown blocks, which Slack shows in place of `text`. */
export function markdownOfBlocks(blocks: readonly unknown[] | undefined): string | undefined {
  const parts = (blocks ?? []).flatMap((b) => {
    const block = b as { type?: unknown; text?: unknown };
    return block.type === 'markdown' && typeof block.text === 'string' ? [block.text] : [];
  });
  return parts.length > 0 ? parts.join('\n') : undefined;
}
