import { and, eq, inArray, sql } from 'drizzle-orm';
import {
  COLUMN_FIELDS,
  SETTING_KEYS,
  settingEntry,
  effectiveSettings,
  storedField,
  storedValue,
  type Actor,
  type Defaults,
  type EffectiveSettings,
  type SettingChanges,
  type SettingKey,
  type SettingsSource,
  type StoredLayers,
  type StoredSettings,
} from '../core/settings/index.js';
import type { Db } from './client.js';
import { settingsAudit, tenantSettings } from './schema.js';

type Row = typeof tenantSettings.$inferSelect;
type Patch = Partial<typeof tenantSettings.$inferInsert>;

/** The `channel_id` of the row that holds the whole tenant's settings. */
const WHOLE_TENANT = '';

/**
 * Tenant settings in Postgres: a row for the whole tenant and one for each
 * channel with settings of its own (`channelId` given; a thread's job names
 * its parent channel). They are read from Postgres each time, never cached,
 * so a change reaches every worker with the next job.
 * Writes take only validated values
 * (`validateChanges` in core/settings/): the store checks nothing itself, so
 * there is one place that decides what is valid.
 *
 * Every write runs in one transaction that first makes sure the tenant's row
 * exists and then locks it (SELECT … FOR UPDATE): two admins changing
 * different keys at the same time are applied one after the other, both
 * survive, and each audit row's old value is the one really replaced. Reset
 * clears the row instead of deleting it, so the row a writer locked never
 * vanishes under it.
 */
export class PgSettingsStore implements SettingsSource {
  constructor(
    private readonly db: Db,
    private readonly defaults: Defaults,
  ) {}

  async get(platform: string, tenantId: string, channelId?: string): Promise<EffectiveSettings> {
    const { tenant, channel } = await this.layers(platform, tenantId, channelId);
    return effectiveSettings(this.defaults, tenant, channel);
  }

  /**
   * What the tenant stored for itself and for `channelId`, in one query; a
   * layer is undefined when its admins never changed anything there.
   */
  async layers(platform: string, tenantId: string, channelId?: string): Promise<StoredLayers> {
    const rows = await this.db
      .select()
      .from(tenantSettings)
      .where(
        and(
          eq(tenantSettings.platform, platform),
          eq(tenantSettings.tenantId, tenantId),
          inArray(tenantSettings.channelId, [WHOLE_TENANT, ...(channelId ? [channelId] : [])]),
        ),
      );
    const tenant = rows.find((row) => row.channelId === WHOLE_TENANT);
    const channel = channelId ? rows.find((row) => row.channelId === channelId) : undefined;
    return {
      ...(tenant ? { tenant: toStored(tenant) } : {}),
      ...(channel ? { channel: toStored(channel) } : {}),
    };
  }

  /** What the tenant (or one channel of it) stored; undefined when nothing was ever changed. */
  async stored(
    platform: string,
    tenantId: string,
    channelId?: string,
  ): Promise<StoredSettings | undefined> {
    const [row] = await this.db
      .select()
      .from(tenantSettings)
      .where(this.scope(platform, tenantId, channelId));
    return row && toStored(row);
  }

  /**
   * Stores validated changes, for the whole tenant or for `channelId` (which
   * takes no tenant-only setting), and audits each key whose value really
   * changes. Returns the settings now in force there.
   */
  async apply(
    platform: string,
    tenantId: string,
    changes: SettingChanges,
    actor: Actor,
    channelId?: string,
  ): Promise<EffectiveSettings> {
    const keys = SETTING_KEYS.filter((key) => changes[key] !== undefined);
    const tenantOnly = channelId ? keys.filter((key) => settingEntry(key).tenantOnly) : [];
    if (tenantOnly.length > 0)
      throw new Error(`not settings of a channel: ${tenantOnly.join(', ')}`);
    if (keys.length === 0) return this.get(platform, tenantId, channelId);
    return this.db.transaction(async (tx) => {
      // Creates the row to lock; a concurrent first write waits here for ours, then finds it.
      await tx
        .insert(tenantSettings)
        .values({ platform, tenantId, channelId: channelId ?? WHOLE_TENANT })
        .onConflictDoNothing();
      const row = await this.lockRow(tx, platform, tenantId, channelId);
      const before = row && toStored(row);
      const changed = keys.filter((key) => storedValue(before, key) !== changes[key]);
      const inForce = async (own: StoredSettings | undefined) =>
        channelId
          ? effectiveSettings(this.defaults, await this.stored(platform, tenantId), own)
          : effectiveSettings(this.defaults, own);
      if (changed.length === 0) return inForce(before);

      const patch: Record<string, unknown> = {};
      const extra: Record<string, number> = {};
      for (const key of changed) {
        const value = changes[key];
        const field = storedField(key);
        if (field !== undefined) patch[field] = value;
        else if (typeof value === 'number') extra[key] = value;
      }
      const [after] = await tx
        .update(tenantSettings)
        .set({
          // The table (core/settings/keys.ts) gives each key a field of its value's type.
          ...(patch as Patch),
          // Merged in SQL as well, so no key written by someone else can be lost.
          extra: sql`${tenantSettings.extra} || ${JSON.stringify(extra)}::jsonb`,
          updatedBy: actor.id,
          updatedAt: sql`now()`,
        })
        .where(this.scope(platform, tenantId, channelId))
        .returning();
      await this.audit(tx, { platform, tenantId, channelId, actor }, changed, before, changes);
      return inForce(after && toStored(after));
    });
  }

  /**
   * Clears what was stored for the whole tenant (back to the environment
   * defaults; channels keep their own values) or for `channelId` (back to the
   * tenant's); audits each key that had a value. Returns the settings now in force there.
   */
  async reset(
    platform: string,
    tenantId: string,
    actor: Actor,
    channelId?: string,
  ): Promise<EffectiveSettings> {
    await this.db.transaction(async (tx) => {
      const row = await this.lockRow(tx, platform, tenantId, channelId);
      const before = row && toStored(row);
      const had = SETTING_KEYS.filter((key) => storedValue(before, key) !== undefined);
      const strayExtra = Object.keys(row?.extra ?? {}).length > 0;
      if (had.length > 0 || strayExtra) {
        const cleared: Patch = {};
        for (const field of COLUMN_FIELDS) cleared[field] = null;
        await tx
          .update(tenantSettings)
          .set({ ...cleared, extra: {}, updatedBy: actor.id, updatedAt: sql`now()` })
          .where(this.scope(platform, tenantId, channelId));
        await this.audit(tx, { platform, tenantId, channelId, actor }, had, before, {});
      }
    });
    return this.get(platform, tenantId, channelId);
  }

  /** The scope's row, locked until the transaction ends (undefined when there is none). */
  private async lockRow(
    tx: Pick<Db, 'select'>,
    platform: string,
    tenantId: string,
    channelId: string | undefined,
  ) {
    const [row] = await tx
      .select()
      .from(tenantSettings)
      .where(this.scope(platform, tenantId, channelId))
      .for('update');
    return row;
  }

  /** The row of the whole tenant, or of one channel of it. */
  private scope(platform: string, tenantId: string, channelId: string | undefined) {
    return and(
      eq(tenantSettings.platform, platform),
      eq(tenantSettings.tenantId, tenantId),
      eq(tenantSettings.channelId, channelId ?? WHOLE_TENANT),
    );
  }

  private async audit(
    tx: Pick<Db, 'insert'>,
    where: {
      readonly platform: string;
      readonly tenantId: string;
      readonly channelId: string | undefined;
      readonly actor: Actor;
    },
    keys: readonly SettingKey[],
    before: StoredSettings | undefined,
    after: SettingChanges,
  ): Promise<void> {
    if (keys.length === 0) return;
    const { platform, tenantId, channelId, actor } = where;
    await tx.insert(settingsAudit).values(
      keys.map((key) => ({
        platform,
        tenantId,
        channelId: channelId ?? null,
        key,
        oldValue: storedValue(before, key) ?? null,
        newValue: after[key] ?? null,
        actorId: actor.id,
        actorName: actor.name,
      })),
    );
  }
}

function toStored(row: Row): StoredSettings {
  const { platform: _platform, tenantId: _tenantId, channelId: _channelId, ...stored } = row;
  return stored;
}
