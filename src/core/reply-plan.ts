/**
 * What a streaming reply sends next: the native stream's new text, the first
 * page whose message does not show its text yet, or while the model thinks,
 * how long it has been thinking.
 */
import type { NativeReply } from './native-reply.js';
import type { Op } from './reply-op.js';
import {
  thinkingPlaceholder,
  thinkingStatus,
  THINKING_STATUS_EVERY_MS,
} from './reasoning/thinking-status.js';
import { closeOpenFence, type GrowingPages } from './split.js';
import type { MessageRef } from './surface.js';

/** What the planning reads of a reply; it may end the native stream (`native`) and give up. */
export interface ReplyPlan {
  readonly text: string;
  /** The native stream while the answer streams that way; unset by the plan when it no longer does. */
  native: NativeReply | undefined;
  readonly messages: readonly MessageRef[];
  readonly shown: readonly (string | undefined)[];
  readonly growing: GrowingPages;
  readonly maxPages: number;
  readonly maxMessageLength: number;
  readonly thinkingSince: number | undefined;
  readonly statusShown: string | undefined;
  readonly statusAt: number;
  now(): number;
  muted(text: string): string;
  giveUp(reason: 'too_long'): void;
}

/** What to send next: the stream's new text, or the first page whose message does not show it. */
export function nextOp(s: ReplyPlan): Op | undefined {
  if (s.text.trim() === '') return thinkingOp(s);
  const max = s.maxMessageLength;
  const text = s.muted(s.text);
  const pages = s.growing.pages(text);
  if (pages.length > s.maxPages) {
    // Past the cap nobody reads on; the final render ends the last page with a note.
    s.giveUp('too_long');
    pages.length = s.maxPages;
  }
  if (s.native) {
    if (pages.length > 1) {
      // The answer outgrew one message: the stream ends, later pages post + edit.
      if (s.native.open) return { kind: 'streamEnd' };
      s.native = undefined;
    } else {
      const delta = text.slice(s.native.sent.length);
      if (delta.trim() === '') return undefined;
      return { kind: s.native.open ? 'streamAppend' : 'streamStart', text: delta };
    }
  }
  // A code block still being written shows as one while it streams.
  pages[pages.length - 1] = closeOpenFence(pages[pages.length - 1]!, max);
  for (let index = 0; index < pages.length; index++) {
    const text = pages[index]!;
    if (index >= s.messages.length) return { kind: 'post', index, text };
    if (s.shown[index] !== text) return { kind: 'edit', index, text };
  }
  return undefined;
}

/** Shows how long the model has been thinking: the placeholder edited, or the stream's status. */
function thinkingOp(s: ReplyPlan): Op | undefined {
  if (s.thinkingSince === undefined) return undefined;
  const ms = s.now() - s.thinkingSince;
  if (s.native && !s.native.open && !s.native.stream.pending) {
    // A stream with no pending status (a Slack DM) would show nothing for the whole
    // think: the reply says it in a message, and the answer follows by edits there.
    s.native = undefined;
  }
  if (s.native) {
    if (s.native.open || !s.native.stream.pending) return undefined;
    const text = thinkingStatus(ms);
    // The first seconds are what start()'s pending status says already.
    if (
      text === thinkingStatus(0) ||
      text === s.statusShown ||
      s.now() - s.statusAt < THINKING_STATUS_EVERY_MS
    )
      return undefined;
    return { kind: 'status', text };
  }
  if (s.messages.length === 0) return { kind: 'post', index: 0, text: thinkingPlaceholder(ms) };
  // Only the placeholder this reply posted (and knows the text of) is edited.
  if (s.shown[0] === undefined) return undefined;
  const text = thinkingPlaceholder(ms);
  return s.shown[0] === text ? undefined : { kind: 'edit', index: 0, text };
}
