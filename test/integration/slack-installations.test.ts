/**
 * Slack installations on real Postgres: sealed tokens, one refresh per
 * installation however many callers (and pools) need the token at once,
 * org-wide installs found through their workspaces, uninstall, and
 * forget-workspace deleting what an uninstall keeps.
 */
import type { Installation } from '@slack/oauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createPool, endPool } from '../../src/db/client.js';
import { forgetSlackWorkspace } from '../../src/platforms/slack/forget-workspace.js';
import { SlackInstallations, type RefreshToken } from '../../src/platforms/slack/installations.js';
import { TokenCipher } from '../../src/platforms/slack/token-cipher.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

let database: TestDatabase;
const cipher = new TokenCipher(Buffer.alloc(32, 3));

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const installation = (teamId: string, bot: Partial<NonNullable<Installation['bot']>> = {}) =>
  ({
    team: { id: teamId },
    enterprise: undefined,
    isEnterpriseInstall: false,
    appId: 'A1',
    user: { id: 'U1', token: undefined, scopes: undefined },
    bot: {
      token: `xoxb-${teamId}`,
      userId: `UB${teamId}`,
      id: `BB${teamId}`,
      scopes: ['chat:write'],
      ...bot,
    },
  }) as Installation;

/** A refresher that counts its calls and takes a moment, as Slack does. */
function countingRefresher(): RefreshToken & { calls: string[] } {
  const calls: string[] = [];
  const refresh = async (token: string) => {
    calls.push(token);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return {
      accessToken: `xoxe.xoxb-new-${calls.length}`,
      refreshToken: `xoxe-new-${calls.length}`,
      expiresInSeconds: 43_200,
    };
  };
  return Object.assign(refresh, { calls });
}

describe('SlackInstallations', () => {
  it('stores tokens sealed and gives each workspace its own bot', async () => {
    const store = new SlackInstallations(database.db, cipher, countingRefresher());
    await store.storeInstallation(installation('T1'));
    await store.storeInstallation(installation('T2'));
    const { rows } = await database.pool.query<{ bot_token: string }>(
      `SELECT bot_token FROM slack_installations WHERE key = 'T1'`,
    );
    expect(rows[0]!.bot_token).not.toContain('xoxb');
    expect(await store.botFor('T1')).toMatchObject({
      token: 'xoxb-T1',
      botUserId: 'UBT1',
      botId: 'BBT1',
    });
    expect((await store.botFor('T2'))?.token).toBe('xoxb-T2');
    expect(await store.botFor('T9')).toBeUndefined();
    expect(await store.identity('T1')).toEqual({ botUserId: 'UBT1', botId: 'BBT1' });
  });

  it('refreshes an expiring token once, however many callers on two pools need it at once', async () => {
    const refresh = countingRefresher();
    const otherPool = createPool(database.url);
    const stores = [database.db, createDb(otherPool)].map(
      (db) => new SlackInstallations(db, cipher, refresh),
    );
    await stores[0]!.storeInstallation(
      installation('T3', {
        token: 'xoxe.xoxb-old',
        refreshToken: 'xoxe-old',
        expiresAt: Math.floor(Date.now() / 1000) + 60,
      }),
    );
    const bots = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stores[i % 2]!.botFor('T3')),
    );
    await endPool(otherPool);
    expect(refresh.calls).toEqual(['xoxe-old']);
    expect(new Set(bots.map((b) => b?.token))).toEqual(new Set(['xoxe.xoxb-new-1']));
    // Stored: the next caller reads it and refreshes nothing.
    expect((await stores[0]!.botFor('T3'))?.token).toBe('xoxe.xoxb-new-1');
    expect(refresh.calls).toHaveLength(1);
  });

  it('finds an org-wide install through the workspaces seen under it', async () => {
    const store = new SlackInstallations(database.db, cipher, countingRefresher());
    await store.storeInstallation({
      ...installation('unused'),
      team: undefined,
      enterprise: { id: 'E1' },
      isEnterpriseInstall: true,
    } as Installation);
    expect(await store.botFor('T5')).toBeUndefined();
    expect((await store.botFor('T5', 'E1'))?.key).toBe('E1');
    await store.noteEnterpriseTeam('T5', 'E1');
    expect((await store.botFor('T5'))?.key).toBe('E1');
  });

  it('removes an installation at once; forget-workspace deletes what the uninstall kept', async () => {
    const store = new SlackInstallations(database.db, cipher, countingRefresher());
    await store.storeInstallation(installation('T06'));
    await database.pool.query(
      `INSERT INTO tenant_settings (platform, tenant_id, model) VALUES ('slack', 'T06', 'm'), ('discord', 'T06', 'm')`,
    );
    expect(await store.remove('T06')).toBe(true);
    expect(await store.botFor('T06')).toBeUndefined();
    expect(await store.remove('T06')).toBe(false);
    // A token Slack refused for good removes the installation only while it is the stored one.
    await store.storeInstallation(installation('T07', { token: 'xoxb-current' }));
    expect(await store.removeToken('T07', 'xoxb-older')).toBe(false);
    expect((await store.botFor('T07'))?.token).toBe('xoxb-current');
    expect(await store.removeToken('T07', 'xoxb-current')).toBe(true);
    expect(await store.botFor('T07')).toBeUndefined();
    const deleted = await forgetSlackWorkspace(database.db, 'T06');
    expect(deleted['tenant_settings']).toBe(1);
    // Only Slack's workspace: a Discord server of the same id keeps its settings.
    const { rows } = await database.pool.query(
      `SELECT platform FROM tenant_settings WHERE tenant_id = 'T06'`,
    );
    expect(rows).toEqual([{ platform: 'discord' }]);
    await expect(forgetSlackWorkspace(database.db, 'not-a-team')).rejects.toThrow(
      /not a Slack team id/,
    );
  });
});
