import { describe, expect, it } from 'vitest';
import { encodeControlId } from '../../src/core/controls/control-id.js';
import { control, streamingControls } from '../../src/core/controls/reply-controls.js';
import { pressedControl } from '../../src/platforms/slack/button-press.js';
import { controlBlocks } from '../../src/platforms/slack/control-blocks.js';

const { streaming, final } = streamingControls('U1', 'job-1');
const id = (action: 'stop' | 'regenerate' | 'up' | 'down', answerId = 'job-1') =>
  encodeControlId({ action, askerId: 'U1', answerId });

describe('Slack control blocks', () => {
  it('puts Regenerate in an actions block and the votes in feedback buttons', () => {
    expect(controlBlocks(final)).toEqual([
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: id('regenerate'),
            text: { type: 'plain_text', text: 'Regenerate', emoji: true },
          },
        ],
      },
      {
        type: 'context_actions',
        elements: [
          {
            type: 'feedback_buttons',
            action_id: id('up'),
            positive_button: {
              text: { type: 'plain_text', text: '👍', emoji: true },
              value: id('up'),
            },
            negative_button: {
              text: { type: 'plain_text', text: '👎', emoji: true },
              value: id('down'),
            },
          },
        ],
      },
    ]);
  });

  it('keeps Stop a danger button, and a lone vote a plain button', () => {
    expect(controlBlocks(streaming)).toEqual([
      {
        type: 'actions',
        elements: [expect.objectContaining({ action_id: id('stop'), style: 'danger' })],
      },
    ]);
    const lone = controlBlocks([control('up', 'U1', 'job-1')]);
    expect(lone.map((b) => b['type'])).toEqual(['actions']);
  });
});

describe('pressedControl', () => {
  it('reads a button from its action_id and a feedback press from the pressed value', () => {
    expect(pressedControl({ type: 'button', action_id: id('regenerate') })).toMatchObject({
      action: 'regenerate',
    });
    expect(
      pressedControl({ type: 'feedback_buttons', action_id: id('up'), value: id('down') }),
    ).toEqual({ action: 'down', askerId: 'U1', answerId: 'job-1' });
  });

  it('refuses a feedback value for another answer, or not a vote', () => {
    const press = (value: string | undefined) =>
      pressedControl({
        type: 'feedback_buttons',
        action_id: id('up'),
        ...(value ? { value } : {}),
      });
    expect(press(id('down', 'job-2'))).toBeUndefined();
    expect(press(id('regenerate'))).toBeUndefined();
    expect(press('bad-feedback')).toBeUndefined();
    expect(press(undefined)).toBeUndefined();
  });
});
