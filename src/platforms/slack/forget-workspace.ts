/**
 * Deletes what the service keeps about one Slack workspace: an uninstall
 * removes only its installation (tokens), so that a reinstall finds the
 * workspace's settings and history again; this removes the rest, for a
 * workspace that asks to be forgotten (`node dist/forget-workspace.js T…`).
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import {
  answerFeedback,
  answerVersions,
  conversationMessages,
  settingsAudit,
  slackEnterpriseTeams,
  slackInstallations,
  tenantSettings,
  usage,
} from '../../db/schema.js';

/** Slack team ids: `T` then letters and digits. */
export const TEAM_ID = /^T[A-Z0-9]{2,}$/;

/** Rows deleted, by table; all in one transaction. */
export async function forgetSlackWorkspace(
  db: Db,
  teamId: string,
): Promise<Record<string, number>> {
  if (!TEAM_ID.test(teamId))
    throw new Error(`${teamId} is not a Slack team id (T followed by letters and digits)`);
  return db.transaction(async (tx) => {
    const deleted: Record<string, number> = {};
    for (const [name, table] of Object.entries({
      conversation_messages: conversationMessages,
      tenant_settings: tenantSettings,
      settings_audit: settingsAudit,
      usage,
      answer_versions: answerVersions,
      answer_feedback: answerFeedback,
    })) {
      const rows = await tx
        .delete(table)
        .where(and(eq(table.platform, 'slack'), eq(table.tenantId, teamId)))
        .returning({ tenantId: table.tenantId });
      deleted[name] = rows.length;
    }
    const installs = await tx
      .delete(slackInstallations)
      .where(eq(slackInstallations.key, teamId))
      .returning({ key: slackInstallations.key });
    deleted['slack_installations'] = installs.length;
    const teams = await tx
      .delete(slackEnterpriseTeams)
      .where(eq(slackEnterpriseTeams.teamId, teamId))
      .returning({ teamId: slackEnterpriseTeams.teamId });
    deleted['slack_enterprise_teams'] = teams.length;
    return deleted;
  });
}
