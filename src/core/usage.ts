/**
 * What a tenant used: token counts for the usage rows (the stream's own, or
 * estimates marked as such), and the `/usage` report aggregated from those
 * rows. Platform-neutral; the rows are read by a `UsageSource` (Postgres in
 * production).
 */
import type { ChatMessage } from '../chutes/chat-client.js';
import { estimateTokens } from './conversation.js';

/** Chat outcomes that are answers (shown to the user); their tokens count. */
export const ANSWERED = ['ok', 'too_long', 'stopped'] as const;
/** Image outcomes where an image was generated (and paid for), shown or not. */
export const GENERATED = ['ok', 'too_large'] as const;

/** The windows `/usage` reports, in days. */
export const USAGE_WINDOWS = [1, 7, 30] as const;
export type UsageWindow = (typeof USAGE_WINDOWS)[number];

/** Prompt tokens estimated from what was sent, until the stream reports its own. */
export function estimatedPromptTokens(messages: readonly ChatMessage[]) {
  const promptTokens = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  return { promptTokens, tokensEstimated: true } as const;
}

/** Completion tokens estimated from the answer: the stream ended before its usage chunk. */
export function estimatedCompletionTokens(answer: string) {
  return { completionTokens: estimateTokens(answer), tokensEstimated: true } as const;
}

/**
 * The token counts of a finished answer: the stream's usage chunk when it
 * sent one, else the prompt estimate already made and one for the answer.
 */
export function answerTokens(
  reported: { readonly prompt: number; readonly completion: number } | undefined,
  estimate: { readonly promptTokens?: number },
  answer: string,
) {
  if (reported) {
    return {
      promptTokens: reported.prompt,
      completionTokens: reported.completion,
      tokensEstimated: false,
    };
  }
  return { promptTokens: estimate.promptTokens, ...estimatedCompletionTokens(answer) };
}

/**
 * Usage rows of one tenant, summed per window (the smallest of 1, 7 and 30
 * days that holds them), kind, model and user.
 */
export interface UsageGroup {
  readonly window: UsageWindow;
  readonly kind: 'chat' | 'image';
  readonly model: string;
  readonly userId: string;
  /** The latest name the platform showed for the user; null in rows written before names were kept. */
  readonly userName: string | null;
  readonly answers: number;
  readonly images: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Some of the tokens are estimates. */
  readonly estimated: boolean;
}

/** Where usage is read from (Postgres in production). */
export interface UsageSource {
  /** The tenant's usage of the last 30 days before `now`, grouped. */
  usageGroups(platform: string, tenantId: string, now: Date): Promise<UsageGroup[]>;
  /** Tokens of answers and images generated since `since` (a quota's day), by one member if given. */
  usedSince(
    platform: string,
    tenantId: string,
    since: Date,
    userId?: string,
  ): Promise<{ readonly tokens: number; readonly images: number }>;
}

export interface UsageTotals {
  answers: number;
  images: number;
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
}

export interface UsageReport {
  /** Totals of the last 1, 7 and 30 days. */
  readonly windows: readonly { readonly days: UsageWindow; readonly totals: UsageTotals }[];
  /** The last 30 days by model, most tokens (then images) first. */
  readonly models: readonly { readonly model: string; readonly totals: UsageTotals }[];
  /** The last 30 days' top users by tokens. */
  readonly users: readonly { readonly name: string; readonly totals: UsageTotals }[];
}

/** How many users the report names. */
export const TOP_USERS = 5;

const empty = (): UsageTotals => ({
  answers: 0,
  images: 0,
  promptTokens: 0,
  completionTokens: 0,
  estimated: false,
});

function add(into: UsageTotals, group: UsageGroup): void {
  into.answers += group.answers;
  into.images += group.images;
  into.promptTokens += group.promptTokens;
  into.completionTokens += group.completionTokens;
  into.estimated ||= group.estimated && group.promptTokens + group.completionTokens > 0;
}

export const tokensOf = (t: UsageTotals) => t.promptTokens + t.completionTokens;

function sumBy(groups: readonly UsageGroup[], key: (g: UsageGroup) => string) {
  const sums = new Map<string, UsageTotals>();
  for (const group of groups) {
    const k = key(group);
    const totals = sums.get(k) ?? empty();
    add(totals, group);
    sums.set(k, totals);
  }
  return sums;
}

const byUse = (a: UsageTotals, b: UsageTotals) =>
  tokensOf(b) - tokensOf(a) || b.images - a.images || b.answers - a.answers;

export function summarizeUsage(groups: readonly UsageGroup[]): UsageReport {
  const windows = USAGE_WINDOWS.map((days) => {
    const totals = empty();
    for (const group of groups) if (group.window <= days) add(totals, group);
    return { days, totals };
  });
  const models = [...sumBy(groups, (g) => g.model)]
    .map(([model, totals]) => ({ model, totals }))
    .sort((a, b) => byUse(a.totals, b.totals) || a.model.localeCompare(b.model));
  // The latest name a user had, from the groups of the smallest window that has one.
  const names = new Map<string, string>();
  for (const group of [...groups].sort((a, b) => b.window - a.window)) {
    if (group.userName) names.set(group.userId, group.userName);
  }
  const users = [...sumBy(groups, (g) => g.userId)]
    .filter(([, totals]) => tokensOf(totals) > 0)
    .map(([userId, totals]) => ({ name: names.get(userId) ?? userId, totals }))
    .sort((a, b) => byUse(a.totals, b.totals) || a.name.localeCompare(b.name))
    .slice(0, TOP_USERS);
  return { windows, models, users };
}
