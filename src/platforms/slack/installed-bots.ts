/**
 * OAuth mode's side of the Slack gateway: which bot an event's workspace has
 * (bolt's `authorize`, from the installation, remembered briefly), and the
 * events that remove an installation (`app_uninstalled`, `tokens_revoked`).
 */
import type { App, AuthorizeResult, AuthorizeSourceData } from '@slack/bolt';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../log.js';
import type { SlackInstallations } from './installations.js';

/** Workspaces seen under an org-wide install, noted once per process. */
const MAX_NOTED_TEAMS = 10_000;
/**
 * How long a workspace's bot user is remembered for its events: every message
 * of every channel the bot is in arrives as an event, and this keeps a
 * database read off most acknowledgements. Only who the bot is, never a
 * token: calls read the installation each time.
 */
const IDENTITY_TTL_MS = 30_000;

/** Who each workspace's bot is, remembered briefly (IDENTITY_TTL_MS); emptied by an uninstall. */
export type BotIdentities = LRUCache<string, { botUserId: string; botId?: string }>;

/**
 * Bolt's `authorize` in OAuth mode: the bot of the event's workspace, without
 * its token (the gateway's own calls go through the workspace's client,
 * which reads it per call). No installation: an empty bot, and the listeners
 * ignore the event.
 */
export function installedBot(
  installations: Pick<SlackInstallations, 'identity' | 'noteEnterpriseTeam'>,
  known: BotIdentities,
): (source: AuthorizeSourceData<boolean>) => Promise<AuthorizeResult> {
  const noted = new Set<string>();
  return async (source) => {
    const { teamId, enterpriseId } = source;
    // A job carries its team only: the team's enterprise is noted for its look-ups.
    if (source.isEnterpriseInstall && teamId && enterpriseId && !noted.has(teamId)) {
      await installations.noteEnterpriseTeam(teamId, enterpriseId);
      if (noted.size >= MAX_NOTED_TEAMS) noted.clear();
      noted.add(teamId);
    }
    const key = `${teamId ?? ''}/${enterpriseId ?? ''}`;
    // Only installed bots are remembered: a workspace that installs is heard at once.
    let bot = known.get(key);
    if (!bot) {
      bot = await installations.identity(teamId ?? '', enterpriseId);
      if (bot) known.set(key, bot);
    }
    return {
      ...(teamId ? { teamId } : {}),
      ...(enterpriseId ? { enterpriseId } : {}),
      ...(bot ? { botUserId: bot.botUserId, ...(bot.botId ? { botId: bot.botId } : {}) } : {}),
    };
  };
}

/**
 * `app_uninstalled`, and `tokens_revoked` naming bot tokens: the
 * installation (its tokens) goes at once, so no call is made with them; the
 * workspace's settings and history stay for a reinstall.
 */
export function listenForUninstalls(
  app: App,
  installations: Pick<SlackInstallations, 'remove'>,
  known: BotIdentities,
  log: Logger,
): void {
  type UninstallBody = {
    team_id?: string;
    enterprise_id?: string;
    authorizations?: { is_enterprise_install?: boolean; enterprise_id?: string | null }[];
  };
  const remove = async (body: UninstallBody, why: string) => {
    const first = body.authorizations?.[0];
    const key = first?.is_enterprise_install
      ? (first.enterprise_id ?? body.enterprise_id)
      : body.team_id;
    if (!key) return;
    const removed = await installations.remove(key);
    known.clear();
    log.info({ installation: key, removed, why }, 'Slack installation removed');
  };
  app.event('app_uninstalled', async ({ body }) =>
    remove(body as UninstallBody, 'app_uninstalled'),
  );
  app.event('tokens_revoked', async ({ event, body }) => {
    const revoked = event as { tokens?: { bot?: readonly string[] } };
    if (revoked.tokens?.bot?.length) await remove(body as UninstallBody, 'tokens_revoked');
  });
}

/** An empty set of remembered bot identities. */
export function botIdentities(): BotIdentities {
  return new LRUCache({ max: MAX_NOTED_TEAMS, ttl: IDENTITY_TTL_MS });
}
