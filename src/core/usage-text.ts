/**
 * The `/usage` answer and the quota lines of `/settings show`, as neutral
 * Markdown: platforms only lay it out.
 */
import { count, plural } from './numbers.js';
import { reached, timeUntil, type QuotaMeter, type QuotaState } from './quota.js';
import { tokensOf, type UsageReport, type UsageTotals } from './usage.js';
import { usdText, type Cost, type UsageCosts } from './usage-cost.js';

/** A token figure; `~` marks one that holds estimates. */
const tokens = (n: number, estimated: boolean) => `${estimated ? '~' : ''}${count(n)}`;

const WINDOW_NAMES = { 1: '24 h', 7: '7 days', 30: '30 days' } as const;

function totalsPhrase(t: UsageTotals, cost?: Cost): string {
  const parts: string[] = [];
  if (t.answers > 0 || tokensOf(t) > 0) parts.push(plural(t.answers, 'answer', 'answers'));
  if (tokensOf(t) > 0) {
    const usd = cost ? ` (${usdText(cost)})` : '';
    parts.push(
      `${tokens(t.promptTokens, t.estimated)} prompt + ${tokens(t.completionTokens, t.estimated)} completion tokens${usd}`,
    );
  }
  if (t.images > 0) parts.push(plural(t.images, 'image', 'images'));
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

function meterPhrase(meter: QuotaMeter, one: string, many: string): string {
  if (meter.limit === undefined) return `${plural(meter.used, one, many)} (no limit)`;
  const unit = meter.limit === 1 ? one : many;
  return `${count(meter.used)} of ${count(meter.limit)} ${unit}${reached(meter) ? ' (reached)' : ''}`;
}

/** One line: today's use against the daily quotas, and when they reset. */
export function quotaLine(state: QuotaState, now: Date): string {
  const each = state.perMember;
  const member = each
    ? ` · each member at most ${[
        each.tokens === undefined ? undefined : plural(each.tokens, 'token', 'tokens'),
        each.images === undefined ? undefined : plural(each.images, 'image', 'images'),
      ]
        .filter((part) => part !== undefined)
        .join(' and ')}`
    : '';
  return (
    `**Quotas today**: ${meterPhrase(state.tokens, 'token', 'tokens')} · ${meterPhrase(state.images, 'image', 'images')}` +
    `${member} · resets at 00:00 UTC (${timeUntil(state.resetsAt, now)})`
  );
}

/**
 * `costs`: what the tokens cost at the models list's prices, where known;
 * `notices`: lines for the admins (a used-up Chutes balance) under the title.
 */
export function usageReportText(
  report: UsageReport,
  quota: QuotaState,
  now: Date,
  extra: { readonly costs?: UsageCosts; readonly notices?: readonly string[] } = {},
): string {
  const { costs } = extra;
  const [, , month] = report.windows;
  const lines = ['**Usage**', ...(extra.notices ?? [])];
  if (!month || (tokensOf(month.totals) === 0 && month.totals.images === 0)) {
    lines.push('Nothing in the last 30 days.');
  } else {
    for (const { days, totals } of report.windows) {
      lines.push(
        `• **Last ${WINDOW_NAMES[days]}**: ${totalsPhrase(totals, costs?.windows.get(days))}`,
      );
    }
    lines.push('**By model** (30 days)');
    for (const { model, totals } of report.models) {
      const cost = costs?.models.get(model);
      lines.push(`• \`${model.replace(/`/g, "'")}\`: ${totalsPhrase(totals, cost)}`);
    }
    if (report.users.length > 0) {
      lines.push('**Top users by tokens** (30 days)');
      report.users.forEach(({ name, totals }, i) => {
        lines.push(
          `${i + 1}. ${name}: ${tokens(tokensOf(totals), totals.estimated)} tokens` +
            ` (${plural(totals.answers, 'answer', 'answers')})`,
        );
      });
    }
  }
  lines.push(quotaLine(quota, now));
  if (costs && costs.windows.size > 0) {
    lines.push(
      "_$ at the Chutes models list's current prices; ≥ where a model has no price there._",
    );
  }
  if (report.windows.some((w) => w.totals.estimated)) {
    lines.push(
      '_~ includes estimates (about 4 characters a token) where the model sent no usage._',
    );
  }
  return lines.join('\n');
}
