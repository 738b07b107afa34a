/**
 * How a reply shows that the model is thinking, and for how long: the
 * placeholder's text, or a native stream's pending status. The time moves in
 * steps, so that a long think costs a few cosmetic updates, not one a second
 * (they are drawn from the same budget as every answer's edits).
 */
import { thinkingForText, thinkingStatusText } from '../user-messages.js';

/** The shown time moves in steps of this many seconds. */
export const THINKING_STEP_S = 5;
/**
 * A thread's status is set at most this often: it is one per workspace
 * method tier (Slack: assistant.threads.setStatus, tier 3), shared by every
 * thread, and Slack keeps it for 2 minutes anyway.
 */
export const THINKING_STATUS_EVERY_MS = 15_000;

const stepped = (ms: number) =>
  Math.floor(Math.max(0, ms) / 1000 / THINKING_STEP_S) * THINKING_STEP_S;

/** The placeholder's text after `ms` of thinking. */
export function thinkingPlaceholder(ms: number): string {
  return thinkingForText(stepped(ms));
}

/** A native stream's pending status after `ms` of thinking. */
export function thinkingStatus(ms: number): string {
  return thinkingStatusText(stepped(ms));
}
