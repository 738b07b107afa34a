import { and, eq, sql } from 'drizzle-orm';
import {
  COLUMN_FIELDS,
  SETTING_KEYS,
  effectiveSettings,
  storedField,
  storedValue,
  type Actor,
  type Defaults,
  type EffectiveSettings,
  type SettingChanges,
  type SettingKey,
  type SettingsSource,
  type StoredSettings,
} from '../core/settings/index.js';
import type { Db } from './client.js';
import { settingsAudit, tenantSettings } from './schema.js';

type Row = typeof tenantSettings.$inferSelect;
type Patch = Partial<typeof tenantSettings.$inferInsert>;

/**
 * Tenant settings in Postgres. Writes take only validated values
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

  async get(platform: string, tenantId: string): Promise<EffectiveSettings> {
    return effectiveSettings(this.defaults, await this.stored(platform, tenantId));
  }

  /** What the tenant stored; undefined when its admins never changed anything. */
  async stored(platform: string, tenantId: string): Promise<StoredSettings | undefined> {
    const [row] = await this.db
      .select()
      .from(tenantSettings)
      .where(this.tenant(platform, tenantId));
    return row && toStored(row);
  }

  /**
   * Stores validated changes and audits each key whose value really changes.
   * Returns the settings now in force.
   */
  async apply(
    platform: string,
    tenantId: string,
    changes: SettingChanges,
    actor: Actor,
  ): Promise<EffectiveSettings> {
    const keys = SETTING_KEYS.filter((key) => changes[key] !== undefined);
    if (keys.length === 0) return this.get(platform, tenantId);
    return this.db.transaction(async (tx) => {
      // Creates the row to lock; a concurrent first write waits here for ours, then finds it.
      await tx.insert(tenantSettings).values({ platform, tenantId }).onConflictDoNothing();
      const row = await this.lockRow(tx, platform, tenantId);
      const before = row && toStored(row);
      const changed = keys.filter((key) => storedValue(before, key) !== changes[key]);
      if (changed.length === 0) return effectiveSettings(this.defaults, before);

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
        .where(this.tenant(platform, tenantId))
        .returning();
      await this.audit(tx, platform, tenantId, actor, changed, before, changes);
      return effectiveSettings(this.defaults, after && toStored(after));
    });
  }

  /** Back to the environment defaults; audits each key that had a value. */
  async reset(platform: string, tenantId: string, actor: Actor): Promise<EffectiveSettings> {
    return this.db.transaction(async (tx) => {
      const row = await this.lockRow(tx, platform, tenantId);
      const before = row && toStored(row);
      const had = SETTING_KEYS.filter((key) => storedValue(before, key) !== undefined);
      const strayExtra = Object.keys(row?.extra ?? {}).length > 0;
      if (had.length > 0 || strayExtra) {
        const cleared: Patch = {};
        for (const field of COLUMN_FIELDS) cleared[field] = null;
        await tx
          .update(tenantSettings)
          .set({ ...cleared, extra: {}, updatedBy: actor.id, updatedAt: sql`now()` })
          .where(this.tenant(platform, tenantId));
        await this.audit(tx, platform, tenantId, actor, had, before, {});
      }
      return effectiveSettings(this.defaults, undefined);
    });
  }

  /** The tenant's row, locked until the transaction ends (undefined when there is none). */
  private async lockRow(tx: Pick<Db, 'select'>, platform: string, tenantId: string) {
    const [row] = await tx
      .select()
      .from(tenantSettings)
      .where(this.tenant(platform, tenantId))
      .for('update');
    return row;
  }

  private tenant(platform: string, tenantId: string) {
    return and(eq(tenantSettings.platform, platform), eq(tenantSettings.tenantId, tenantId));
  }

  private async audit(
    tx: Pick<Db, 'insert'>,
    platform: string,
    tenantId: string,
    actor: Actor,
    keys: readonly SettingKey[],
    before: StoredSettings | undefined,
    after: SettingChanges,
  ): Promise<void> {
    if (keys.length === 0) return;
    await tx.insert(settingsAudit).values(
      keys.map((key) => ({
        platform,
        tenantId,
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
  const { platform: _platform, tenantId: _tenantId, ...stored } = row;
  return stored;
}
