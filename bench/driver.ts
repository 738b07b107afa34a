/** What the harness needs from a fake platform, whichever it is. */
import type { AnswerView } from './metrics.js';

export interface Asked {
  readonly marker: string;
  /** When the fake platform dispatched the mention (it stores the message, then sends the event). */
  readonly eventAt: number;
  readonly channel: string;
  /** The question's message id (Discord) or ts (Slack). */
  readonly key: string;
}

export interface PlatformCounts {
  /** New messages the bot made (Discord POST …/messages; Slack postMessage + startStream), 2xx. */
  readonly posts: number;
  /** Discord PATCH …/messages/:id; Slack chat.update + chat.appendStream; answered 2xx/ok. */
  readonly edits: number;
  /** 429s the fake platform answered. */
  readonly rateLimited: number;
  /** Lines for the details section: 429s per route, writes per method, failures. */
  readonly detail: readonly string[];
}

export interface PlatformDriver {
  /** The service's platform variables. */
  readonly serviceEnv: Record<string, string>;
  /** The naive bot's platform variables (PORT is added by the harness). */
  readonly naiveEnv: Record<string, string>;
  readonly naiveBot: 'discord' | 'slack';
  /** The process that receives events listens on this port (Slack posts events there). */
  eventsTo(port: number): void;
  /** Fires question `i` with its marker in the text. */
  ask(i: number, marker: string): Asked;
  /** What each question has got so far. */
  views(asked: readonly Asked[], modelText: (marker: string) => string): AnswerView[];
  counts(): PlatformCounts;
  close(): Promise<void>;
}

/** `n × key` lines, most frequent first. */
export function tally(keys: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} × ${k}`);
}
