/** /usage: the tenant's answers, tokens (and their cost) and images for 1, 7 and 30 days, and its quotas. */
import { quotaState } from '../quota.js';
import { summarizeUsage } from '../usage.js';
import { usageCosts } from '../usage-cost.js';
import { usageReportText } from '../usage-text.js';
import { paymentRefusalsText, usageAdminOnlyText } from '../user-messages.js';
import { defineCommand } from './definition.js';
import { admins } from './preconditions.js';
import { FEEDBACK_DAYS, feedbackLines } from '../controls/feedback-text.js';

export const usage = defineCommand({
  name: 'usage',
  description: "This {tenant}'s answers, tokens and images for 1, 7 and 30 days",
  // It names people and what they used.
  precondition: admins(usageAdminOnlyText),
  private: true,
  run: async ({ job, here }, deps) => {
    const now = deps.now?.() ?? new Date();
    const [groups, settings, infos, refusals] = await Promise.all([
      deps.usage.usageGroups(job.platform, job.tenantId, now),
      here.settings(),
      // Without the models list the report still comes, without costs.
      deps.models.modelInfos().catch(() => undefined),
      deps.payments?.paymentRefusals(job.platform, job.tenantId, now),
    ]);
    const since = new Date(now.getTime() - FEEDBACK_DAYS * 24 * 3600_000);
    const [quota, votes] = await Promise.all([
      quotaState(deps.usage, job.platform, job.tenantId, settings.quotas, now),
      deps.feedback?.byModel(job.platform, job.tenantId, since) ?? [],
    ]);
    const report = usageReportText(summarizeUsage(groups), quota, now, {
      ...(infos ? { costs: usageCosts(groups, infos) } : {}),
      ...(refusals ? { notices: [paymentRefusalsText(refusals, now)] } : {}),
    });
    return [report, ...feedbackLines(votes)].join('\n');
  },
});
