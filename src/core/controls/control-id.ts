/**
 * The id a control (a button on an answer) carries through the platform and
 * back when it is pressed: Discord's `custom_id`, Slack's `action_id`. Built
 * and read here only. It names what the button does, who asked the question
 * (the platform only sends a press for an id that is on the message, so the
 * asker in it can be trusted) and the answer: the chat job's id.
 *
 * `cb1:<action>:<asker id>:<answer job id>`, at most 100 characters
 * (Discord's `custom_id` limit; Slack's `action_id` takes 255).
 */
export type ControlAction = 'stop' | 'regenerate' | 'up' | 'down';

export interface ControlId {
  readonly action: ControlAction;
  /** The person who asked the question the answer answers. */
  readonly askerId: string;
  /** The chat job that made the answer (its id is the answer's id). */
  readonly answerId: string;
}

/** Discord's `custom_id` limit; the stricter of the platforms. */
export const MAX_CONTROL_ID_LENGTH = 100;

const PREFIX = 'cb1';
const CODES: Record<ControlAction, string> = { stop: 's', regenerate: 'r', up: 'u', down: 'd' };
const ACTIONS = new Map(Object.entries(CODES).map(([action, code]) => [code, action]));
const PART = /^[A-Za-z0-9._\-/]+$/;

/** The id for a control; throws when an id would not fit (a job id the queue never makes). */
export function encodeControlId(control: ControlId): string {
  const { action, askerId, answerId } = control;
  if (!PART.test(askerId) || !PART.test(answerId) || askerId.includes(':'))
    throw new Error('a control id takes ids of letters, digits, ".", "_", "-" and "/" only');
  const id = `${PREFIX}:${CODES[action]}:${askerId}:${answerId}`;
  if (id.length > MAX_CONTROL_ID_LENGTH)
    throw new Error(`a control id is at most ${MAX_CONTROL_ID_LENGTH} characters`);
  return id;
}

/** The control an id names; undefined for an id this service did not build. */
export function decodeControlId(id: string): ControlId | undefined {
  if (id.length > MAX_CONTROL_ID_LENGTH) return undefined;
  const [prefix, code, askerId, answerId, ...rest] = id.split(':');
  if (prefix !== PREFIX || rest.length > 0 || !askerId || !answerId) return undefined;
  const action = ACTIONS.get(code ?? '') as ControlAction | undefined;
  if (!action || !PART.test(askerId) || !PART.test(answerId)) return undefined;
  return { action, askerId, answerId };
}

/** Tells a platform's handler which presses are this service's (Slack's action_id matcher). */
export const CONTROL_ID_PATTERN = /^cb1:[srud]:/;
