/**
 * The buttons an answer carries, as the reply renderer needs them: Stop while
 * it streams; at its end those the outcome allows.
 */
import type { Control } from '../surface.js';
import { encodeControlId, type ControlAction } from './control-id.js';
import { CONTROL_LABELS } from '../user-messages.js';

export interface ReplyControls {
  /** On the first message while the answer streams (post + edit). */
  readonly streaming: readonly Control[];
  /** On the last page of a finished answer (what finish() puts there unless told otherwise). */
  readonly final: readonly Control[];
}

/** Which buttons a message carries, comparable: their ids in order. */
export function controlsKey(controls: readonly Control[]): string {
  return controls.map((control) => control.id).join(' ');
}

/** One button of an answer. */
export function control(action: ControlAction, askerId: string, answerId: string): Control {
  return {
    id: encodeControlId({ action, askerId, answerId }),
    label: CONTROL_LABELS[action],
    style: action === 'stop' ? 'danger' : 'secondary',
  };
}

/** The buttons of an answer: Stop while it streams; Regenerate, 👍 and 👎 once it is over. */
export function streamingControls(askerId: string, answerId: string): ReplyControls {
  return {
    streaming: [control('stop', askerId, answerId)],
    final: [
      control('regenerate', askerId, answerId),
      control('up', askerId, answerId),
      control('down', askerId, answerId),
    ],
  };
}

/** An answer's buttons; undefined where ids would not fit a button (nothing to press then). */
export function answerControls(askerId: string, answerId: string): ReplyControls | undefined {
  try {
    return streamingControls(askerId, answerId);
  } catch {
    return undefined;
  }
}
