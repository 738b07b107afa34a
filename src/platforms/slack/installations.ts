/**
 * Where OAuth mode keeps each workspace's bot: @slack/oauth's
 * InstallationStore over Postgres (the install flow stores here), and the
 * token every Slack call of a workspace is made with (`botFor`), refreshed
 * when token rotation is on. The row is read per call: an uninstall removes
 * it, and from then on no call is made with its token.
 *
 * A refresh token is single-use, and any process may find the token expiring:
 * the refresh runs in a transaction holding the row (`SELECT … FOR UPDATE`),
 * re-checks the expiry there, and stores the new pair before it commits.
 * Whoever waited on the lock then reads the new token instead of refreshing.
 */
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { slackEnterpriseTeams, slackInstallations } from '../../db/schema.js';
import type { TokenCipher } from './token-cipher.js';

type Row = typeof slackInstallations.$inferSelect;

/** What a workspace's calls are made with. */
export interface SlackBot {
  /** The installation's key: the team id, or the enterprise id of an org-wide install. */
  readonly key: string;
  readonly token: string;
  readonly botUserId: string;
  readonly botId?: string;
  readonly teamId?: string;
  readonly enterpriseId?: string;
  readonly isEnterpriseInstall: boolean;
}

/** oauth.v2.access with `grant_type=refresh_token`: the new pair and its lifetime. */
export type RefreshToken = (
  refreshToken: string,
) => Promise<{ accessToken: string; refreshToken: string; expiresInSeconds: number }>;

export interface SlackInstallationsOptions {
  /** Refresh a rotating token when less than this remains (default 5 minutes). */
  readonly refreshMarginMs?: number;
  readonly now?: () => number;
}

const DEFAULTS = { refreshMarginMs: 5 * 60_000, now: Date.now } as const satisfies Required<
  Pick<SlackInstallationsOptions, 'refreshMarginMs' | 'now'>
>;

export class SlackInstallations implements InstallationStore {
  private readonly refreshMarginMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly cipher: TokenCipher,
    private readonly refresh: RefreshToken,
    options: SlackInstallationsOptions = {},
  ) {
    this.refreshMarginMs = options.refreshMarginMs ?? DEFAULTS.refreshMarginMs;
    this.now = options.now ?? DEFAULTS.now;
  }

  /** From the install flow (InstallProvider.handleCallback): a reinstall replaces the row. */
  async storeInstallation(installation: Installation): Promise<void> {
    const bot = installation.bot;
    if (!bot) throw new Error('the Slack install has no bot token: is the bot scope requested?');
    const enterpriseId = installation.enterprise?.id;
    const teamId = installation.team?.id;
    const isEnterpriseInstall = installation.isEnterpriseInstall === true;
    const key = isEnterpriseInstall ? enterpriseId : teamId;
    if (!key) throw new Error('the Slack install names neither a team nor an enterprise');
    const values = {
      key,
      teamId: teamId ?? null,
      enterpriseId: enterpriseId ?? null,
      isEnterpriseInstall,
      appId: installation.appId ?? null,
      botUserId: bot.userId,
      botId: bot.id || null,
      scopes: bot.scopes.join(','),
      botToken: this.cipher.seal(bot.token),
      botRefreshToken: bot.refreshToken ? this.cipher.seal(bot.refreshToken) : null,
      botExpiresAt: bot.expiresAt ? new Date(bot.expiresAt * 1000) : null,
      installedBy: installation.user.id,
      updatedAt: new Date(),
    };
    await this.db
      .insert(slackInstallations)
      .values(values)
      .onConflictDoUpdate({ target: slackInstallations.key, set: values });
  }

  /** For @slack/oauth's own look-ups; the service itself uses `botFor`. */
  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation> {
    const bot = await this.botFor(query.teamId ?? '', query.enterpriseId);
    if (!bot) throw new Error(`no Slack installation for ${query.teamId ?? query.enterpriseId}`);
    return {
      team: bot.teamId ? { id: bot.teamId } : undefined,
      enterprise: bot.enterpriseId ? { id: bot.enterpriseId } : undefined,
      isEnterpriseInstall: bot.isEnterpriseInstall,
      user: { id: '', token: undefined, scopes: undefined },
      bot: { token: bot.token, userId: bot.botUserId, id: bot.botId ?? '', scopes: [] },
    } as Installation;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    const key = query.isEnterpriseInstall ? query.enterpriseId : query.teamId;
    if (key) await this.remove(key);
  }

  /** Uninstalled or tokens revoked: the tokens go at once; settings and history stay. */
  async remove(key: string): Promise<boolean> {
    const deleted = await this.db
      .delete(slackInstallations)
      .where(eq(slackInstallations.key, key))
      .returning({ key: slackInstallations.key });
    return deleted.length > 0;
  }

  /**
   * A token Slack refused for good (`token_revoked`): the workspace's
   * installation goes, unless it holds another token by now (a reinstall, a
   * refresh). True when it went.
   */
  async removeToken(teamId: string, token: string): Promise<boolean> {
    const row = await this.find(teamId);
    if (!row || this.cipher.open(row.botToken) !== token) return false;
    const deleted = await this.db
      .delete(slackInstallations)
      .where(
        and(eq(slackInstallations.key, row.key), eq(slackInstallations.botToken, row.botToken)),
      )
      .returning({ key: slackInstallations.key });
    return deleted.length > 0;
  }

  /** A workspace seen under an org-wide install (its jobs carry the team id only). */
  async noteEnterpriseTeam(teamId: string, enterpriseId: string): Promise<void> {
    await this.db
      .insert(slackEnterpriseTeams)
      .values({ teamId, enterpriseId })
      .onConflictDoUpdate({ target: slackEnterpriseTeams.teamId, set: { enterpriseId } });
  }

  /**
   * The bot of a workspace (its own install, or its enterprise's org-wide
   * one), with a token that has more than the refresh margin left; undefined
   * when the app is not installed there.
   */
  async botFor(teamId: string, enterpriseId?: string): Promise<SlackBot | undefined> {
    const row = await this.find(teamId, enterpriseId);
    if (!row) return undefined;
    if (!this.expiring(row)) return this.toBot(row);
    const fresh = await this.refreshed(row.key);
    return fresh ? this.toBot(fresh) : undefined;
  }

  /** Who the bot of a workspace is, without its token (bolt's `authorize` for events). */
  async identity(
    teamId: string,
    enterpriseId?: string,
  ): Promise<{ botUserId: string; botId?: string } | undefined> {
    const row = await this.find(teamId, enterpriseId);
    return row
      ? { botUserId: row.botUserId, ...(row.botId ? { botId: row.botId } : {}) }
      : undefined;
  }

  private async find(teamId: string, enterpriseId?: string): Promise<Row | undefined> {
    const t = slackInstallations;
    const keys = enterpriseId ? [teamId, enterpriseId] : [teamId];
    const [row] = await this.db
      .select()
      .from(t)
      .where(
        or(
          inArray(t.key, keys),
          sql`${t.key} = (SELECT ${slackEnterpriseTeams.enterpriseId} FROM ${slackEnterpriseTeams} WHERE ${slackEnterpriseTeams.teamId} = ${teamId})`,
        ),
      )
      // A workspace's own install before its enterprise's.
      .orderBy(t.isEnterpriseInstall)
      .limit(1);
    return row;
  }

  private expiring(row: Row): boolean {
    return (
      row.botRefreshToken !== null &&
      row.botExpiresAt !== null &&
      row.botExpiresAt.getTime() - this.now() < this.refreshMarginMs
    );
  }

  /** One refresh per installation across every process: see the top of this file. */
  private refreshed(key: string): Promise<Row | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(slackInstallations)
        .where(eq(slackInstallations.key, key))
        .for('update');
      if (!row || !this.expiring(row)) return row;
      const next = await this.refresh(this.cipher.open(row.botRefreshToken!));
      const values = {
        botToken: this.cipher.seal(next.accessToken),
        botRefreshToken: this.cipher.seal(next.refreshToken),
        botExpiresAt: new Date(this.now() + next.expiresInSeconds * 1000),
        updatedAt: new Date(),
      };
      await tx.update(slackInstallations).set(values).where(eq(slackInstallations.key, key));
      return { ...row, ...values };
    });
  }

  private toBot(row: Row): SlackBot {
    return {
      key: row.key,
      token: this.cipher.open(row.botToken),
      botUserId: row.botUserId,
      ...(row.botId ? { botId: row.botId } : {}),
      ...(row.teamId ? { teamId: row.teamId } : {}),
      ...(row.enterpriseId ? { enterpriseId: row.enterpriseId } : {}),
      isEnterpriseInstall: row.isEnterpriseInstall,
    };
  }
}
