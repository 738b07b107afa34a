/**
 * Slack's assistant experience (the AI-app split view): a person opens the
 * app's pane and Slack starts a thread in their DM with the app
 * (`assistant_thread_started`). The thread is offered the workspace's
 * `suggested_prompts`, and is titled after its first question; its questions
 * are answered like any DM thread's, with the "is thinking…" status while
 * the model has not written yet (surface.ts; Slack clears it when the answer
 * is posted). Every call draws on the shared budget, like every other write.
 *
 * Bolt's `Assistant` class is not used: it would take the thread's messages
 * to its own handler, while the gateway already queues them in order, once.
 */
import type { WebClient } from '@slack/web-api';
import { abortable } from '../../core/abortable.js';
import { budgetBuckets } from '../../core/budget-buckets.js';
import { spend, type BudgetPriority, type RateBudget } from '../../core/rate-budget.js';
import type { SettingsSource } from '../../core/settings/index.js';
import {
  DEFAULT_SUGGESTED_PROMPTS,
  suggestedPrompts,
} from '../../core/settings/suggested-prompts.js';
import { clip } from '../../core/split.js';
import type { ChatSurface } from '../../core/surface.js';
import { call } from './errors.js';

/** The fields of an `assistant_thread_started` event read here. */
export interface AssistantThreadStarted {
  readonly assistant_thread: {
    readonly user_id: string;
    readonly channel_id: string;
    readonly thread_ts: string;
  };
}

export interface SlackAssistantDeps {
  /** The Web API client of a workspace (OAuth mode: each its own token). */
  readonly client: (teamId: string) => WebClient;
  /** Where the rate rules are declared (SLACK_LIMITS). */
  readonly surface: Pick<ChatSurface, 'platform' | 'limits'>;
  readonly budget: RateBudget;
  readonly settings: Pick<SettingsSource, 'get'>;
  readonly log: { warn(details: object, message: string): void };
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The heading above the prompts. */
export const PROMPTS_TITLE = 'Try asking';
/** A thread's title is a line in a list: the question's start. */
const MAX_TITLE_CHARS = 80;
/** Threads started and not yet titled, kept this long (a person may wait before asking). */
const UNTITLED_TTL_MS = 60 * 60_000;
const MAX_UNTITLED = 10_000;
/** How long reading the workspace's prompts may take before the defaults are offered. */
const SETTINGS_PATIENCE_MS = 2_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The title of a thread asked `question`: its first line, clipped at a word. */
export function threadTitle(question: string): string {
  const line = question.replace(/\s+/g, ' ').trim();
  if (line.length <= MAX_TITLE_CHARS) return line;
  const cut = line.slice(0, MAX_TITLE_CHARS);
  const word = cut.lastIndexOf(' ');
  return clip(word > MAX_TITLE_CHARS / 2 ? cut.slice(0, word) : cut, MAX_TITLE_CHARS - 1) + '…';
}

export class SlackAssistant {
  /**
   * Assistant threads started here and not titled yet, by `<channel>/<ts>`,
   * with when. Only the gateway process that got the start knows it; after a
   * restart in between, a thread simply keeps Slack's own title.
   */
  private readonly untitled = new Map<string, number>();

  constructor(private readonly deps: SlackAssistantDeps) {}

  /** A thread started: it will be titled after its first question, and is offered the prompts. */
  async started(event: AssistantThreadStarted, teamId: string): Promise<void> {
    const { channel_id: channel, thread_ts: threadTs } = event.assistant_thread;
    this.remember(`${channel}/${threadTs}`);
    try {
      const chosen = await abortable(
        this.deps.settings.get('slack', teamId),
        AbortSignal.timeout(SETTINGS_PATIENCE_MS),
      ).then(
        (settings) => settings.suggestedPrompts,
        (error: unknown) => {
          // The settings are away or slow: the thread still gets the defaults.
          this.deps.log.warn({ err: error, channel }, 'offering the default suggested prompts');
          return DEFAULT_SUGGESTED_PROMPTS;
        },
      );
      const prompts = suggestedPrompts(chosen);
      if (prompts.length === 0) return;
      // The prompts are what the person sees first in the new thread.
      const client = this.deps.client(teamId);
      await this.spend('threadPrompts', 'first', channel, teamId, () =>
        call('assistant.threads.setSuggestedPrompts', () =>
          client.assistant.threads.setSuggestedPrompts({
            channel_id: channel,
            thread_ts: threadTs,
            title: PROMPTS_TITLE,
            prompts,
          }),
        ),
      );
    } catch (error) {
      this.deps.log.warn({ err: error, channel }, 'could not offer suggested prompts');
    }
  }

  /**
   * A question in a DM thread: the first one of an assistant thread names it.
   * Returns at once when there is nothing to do.
   */
  async asked(where: { channelId: string; threadId?: string; tenantId: string }, text: string) {
    if (!where.threadId) return;
    const key = `${where.channelId}/${where.threadId}`;
    if (!this.untitled.delete(key)) return;
    const title = threadTitle(text);
    if (title === '') return;
    try {
      const client = this.deps.client(where.tenantId);
      await this.spend('threadTitle', 'update', where.channelId, where.tenantId, () =>
        call('assistant.threads.setTitle', () =>
          client.assistant.threads.setTitle({
            channel_id: where.channelId,
            thread_ts: where.threadId!,
            title,
          }),
        ),
      );
    } catch (error) {
      this.deps.log.warn({ err: error, channel: where.channelId }, 'could not title a thread');
    }
  }

  private remember(key: string): void {
    const now = Date.now();
    if (this.untitled.size >= MAX_UNTITLED) {
      for (const [old, at] of this.untitled)
        if (now - at > UNTITLED_TTL_MS || this.untitled.size >= MAX_UNTITLED)
          this.untitled.delete(old);
    }
    this.untitled.set(key, now);
  }

  /** A call on the shared budget, as long as it takes. */
  private spend<T>(
    op: 'threadTitle' | 'threadPrompts',
    priority: BudgetPriority,
    channelId: string,
    tenantId: string,
    run: () => Promise<T>,
  ): Promise<T> {
    const buckets = budgetBuckets(this.deps.surface, op, { channelId, tenantId });
    return spend(this.deps.budget, buckets, this.deps.sleep ?? sleep, priority, run);
  }
}
