/**
 * An answer's buttons as Block Kit: Regenerate and Stop as buttons in an
 * `actions` block; 👍 and 👎 as Slack's feedback buttons (a
 * `feedback_buttons` element in a `context_actions` block), the way Slack's
 * AI apps show them. The feedback element has one `action_id` (the 👍
 * control's id, so presses route like any control's) and each of its two
 * buttons carries its own control id as `value`: a press delivers the value
 * of the button pressed.
 */
import { decodeControlId } from '../../core/controls/control-id.js';
import { clip } from '../../core/split.js';
import type { Control } from '../../core/surface.js';

/** Slack's button text: plain text of at most 75 characters (Block Kit: button element). */
const BUTTON_TEXT_LENGTH = 75;

type Block = Record<string, unknown>;

const actionOf = (control: Control) => decodeControlId(control.id)?.action;

/** The blocks for an answer's buttons, in the order the controls come (buttons first, then the votes). */
export function controlBlocks(controls: readonly Control[]): Block[] {
  const up = controls.find((control) => actionOf(control) === 'up');
  const down = controls.find((control) => actionOf(control) === 'down');
  // Feedback buttons take both votes; a lone vote (never built) stays a plain button.
  const votes = up && down ? [up, down] : [];
  const buttons = controls.filter((control) => !votes.includes(control));
  return [
    ...(buttons.length ? [actionsBlock(buttons)] : []),
    ...(up && down ? [feedbackBlock(up, down)] : []),
  ];
}

/** Buttons as an `actions` block. */
function actionsBlock(controls: readonly Control[]): Block {
  return {
    type: 'actions',
    elements: controls.map((control) => ({
      type: 'button',
      action_id: control.id,
      text: plainText(control.label),
      ...(control.style === 'primary' || control.style === 'danger'
        ? { style: control.style }
        : {}),
    })),
  };
}

/** 👍 and 👎 as a `context_actions` block holding one `feedback_buttons` element. */
function feedbackBlock(up: Control, down: Control): Block {
  return {
    type: 'context_actions',
    elements: [
      {
        type: 'feedback_buttons',
        action_id: up.id,
        positive_button: { text: plainText(up.label), value: up.id },
        negative_button: { text: plainText(down.label), value: down.id },
      },
    ],
  };
}

const plainText = (text: string) => ({
  type: 'plain_text',
  text: clip(text, BUTTON_TEXT_LENGTH),
  emoji: true,
});
