/** The /usage lines about votes: each model's share of 👍. */
import type { ModelFeedback } from './feedback.js';

/** How far back /usage counts votes. */
export const FEEDBACK_DAYS = 30;

export function feedbackLines(models: readonly ModelFeedback[]): string[] {
  const voted = models.filter((m) => m.up + m.down > 0);
  if (voted.length === 0) return [];
  const lines = [`**Feedback** (${FEEDBACK_DAYS} days)`];
  for (const { model, up, down } of [...voted].sort((a, b) => b.up + b.down - (a.up + a.down))) {
    const votes = up + down;
    const share = Math.round((up / votes) * 100);
    lines.push(
      `• \`${model.replace(/`/g, "'")}\`: ${share}% 👍 (${up} of ${votes} ${votes === 1 ? 'vote' : 'votes'})`,
    );
  }
  return lines;
}
