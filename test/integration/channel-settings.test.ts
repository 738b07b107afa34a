/**
 * Settings of one channel in Postgres: a row of their own beside the
 * tenant's, read in one query with it, audited with the channel, reset on
 * their own; and the migration that added them keeps every tenant's row.
 */
import { asc, eq } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, Defaults } from '../../src/core/settings/index.js';
import { MIGRATIONS_FOLDER } from '../../src/db/client.js';
import { settingsAudit } from '../../src/db/schema.js';
import { PgSettingsStore } from '../../src/db/settings-store.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

const defaults: Defaults = {
  model: 'd/model',
  imageModel: 'd/image',
  temperature: 0.7,
  maxTokens: 1024,
  systemPrompt: 'You are helpful.',
};
const ada: Actor = { id: 'u-ada', name: 'Ada', isAdmin: true };

let database: TestDatabase;
let store: PgSettingsStore;
beforeAll(async () => {
  database = await createTestDatabase();
  store = new PgSettingsStore(database.db, defaults);
});
afterAll(async () => {
  await database?.drop();
});

let tenants = 0;
const newTenant = () => `ct${++tenants}`;

async function auditOf(tenantId: string) {
  const rows = await database.db
    .select()
    .from(settingsAudit)
    .where(eq(settingsAudit.tenantId, tenantId))
    .orderBy(asc(settingsAudit.id));
  return rows.map((r) => ({ channel: r.channelId, key: r.key, old: r.oldValue, new: r.newValue }));
}

describe('PgSettingsStore, one channel', () => {
  it("a channel's values win there, the tenant's elsewhere, the defaults under both", async () => {
    const tenant = newTenant();
    await store.apply('discord', tenant, { model: 'server/model', temperature: 1.1 }, ada);
    const inC1 = await store.apply(
      'discord',
      tenant,
      { model: 'channel/model', system_prompt: 'Pirate.', top_k: 5 },
      ada,
      'c1',
    );
    expect(inC1).toMatchObject({
      model: 'channel/model',
      systemPrompt: 'Pirate.',
      sampling: { temperature: 1.1, max_tokens: 1024, top_k: 5 },
    });
    expect(await store.get('discord', tenant, 'c1')).toEqual(inC1);
    const inC2 = await store.get('discord', tenant, 'c2');
    expect(inC2.model).toBe('server/model');
    expect(inC2.systemPrompt).toBe('You are helpful.');
    expect(inC2.sampling).toEqual({ temperature: 1.1, max_tokens: 1024 });
    expect((await store.get('discord', tenant)).model).toBe('server/model');
    // The same channel id in another tenant or platform is another channel.
    expect((await store.get('discord', newTenant(), 'c1')).model).toBe('d/model');
    expect((await store.get('slack', tenant, 'c1')).model).toBe('d/model');

    expect(await store.layers('discord', tenant, 'c1')).toMatchObject({
      tenant: { model: 'server/model', temperature: 1.1 },
      channel: { model: 'channel/model', temperature: null, extra: { top_k: 5 } },
    });
    expect(await store.layers('discord', tenant, 'c2')).not.toHaveProperty('channel');
    expect(await store.stored('discord', tenant)).toMatchObject({ model: 'server/model' });
  });

  it('audits each change with its channel, and the tenant-wide ones with none', async () => {
    const tenant = newTenant();
    await store.apply('slack', tenant, { model: 'a/one' }, ada);
    await store.apply('slack', tenant, { model: 'a/two' }, ada, 'C1');
    await store.apply('slack', tenant, { model: 'a/three' }, ada, 'C1');
    await store.apply('slack', tenant, { model: 'a/three' }, ada, 'C1');
    expect(await auditOf(tenant)).toEqual([
      { channel: null, key: 'model', old: null, new: 'a/one' },
      // The channel had nothing of its own: its old value is "none", not the tenant's.
      { channel: 'C1', key: 'model', old: null, new: 'a/two' },
      { channel: 'C1', key: 'model', old: 'a/two', new: 'a/three' },
    ]);
  });

  it('refuses a tenant-only setting for a channel, storing nothing', async () => {
    const tenant = newTenant();
    await expect(
      store.apply('discord', tenant, { model: 'x/y', daily_token_limit: 5 }, ada, 'c1'),
    ).rejects.toThrow(/daily_token_limit/);
    expect(await store.stored('discord', tenant, 'c1')).toBeUndefined();
    expect(await auditOf(tenant)).toEqual([]);
  });

  it("resets one channel back to the tenant's, and the tenant's leaves channels alone", async () => {
    const tenant = newTenant();
    await store.apply('discord', tenant, { model: 'server/model' }, ada);
    await store.apply('discord', tenant, { model: 'c1/model', temperature: 0.1 }, ada, 'c1');
    await store.apply('discord', tenant, { model: 'c2/model' }, ada, 'c2');

    const c1 = await store.reset('discord', tenant, ada, 'c1');
    expect(c1.model).toBe('server/model');
    expect(c1.sampling.temperature).toBe(0.7);
    expect((await store.get('discord', tenant, 'c2')).model).toBe('c2/model');
    expect((await store.get('discord', tenant)).model).toBe('server/model');

    expect((await store.reset('discord', tenant, ada)).model).toBe('d/model');
    expect((await store.get('discord', tenant, 'c1')).model).toBe('d/model');
    expect((await store.get('discord', tenant, 'c2')).model).toBe('c2/model');
    expect((await auditOf(tenant)).slice(4)).toEqual([
      { channel: 'c1', key: 'model', old: 'c1/model', new: null },
      { channel: 'c1', key: 'temperature', old: 0.1, new: null },
      { channel: null, key: 'model', old: 'server/model', new: null },
    ]);
  });

  it('keeps concurrent first writes to a tenant and its channel apart', async () => {
    const tenant = newTenant();
    await Promise.all([
      store.apply('discord', tenant, { temperature: 1.5 }, ada),
      store.apply('discord', tenant, { temperature: 0.5 }, ada, 'c1'),
      store.apply('discord', tenant, { max_tokens: 64 }, ada, 'c1'),
    ]);
    expect((await store.get('discord', tenant)).sampling).toEqual({
      temperature: 1.5,
      max_tokens: 1024,
    });
    expect((await store.get('discord', tenant, 'c1')).sampling).toEqual({
      temperature: 0.5,
      max_tokens: 64,
    });
  });
});

describe('the migration to channel settings', () => {
  it("keeps each tenant's row as its whole-tenant settings", async () => {
    const before = await createTestDatabase({ migrate: false });
    const folder = await mkdtemp(path.join(tmpdir(), 'chutes-migrations-'));
    try {
      // The migrations as they were before this one.
      await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
      const journalFile = path.join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalFile, 'utf8')) as {
        entries: { tag: string }[];
      };
      const at = journal.entries.findIndex((entry) => entry.tag.endsWith('_channel_settings'));
      expect(at).toBeGreaterThan(0);
      journal.entries = journal.entries.slice(0, at);
      await writeFile(journalFile, JSON.stringify(journal));
      await migrate(before.db, { migrationsFolder: folder });
      await before.pool.query(
        `INSERT INTO tenant_settings (platform, tenant_id, model, daily_token_limit)
         VALUES ('discord', 'g1', 'old/model', 100)`,
      );

      await migrate(before.db, { migrationsFolder: MIGRATIONS_FOLDER });
      const migrated = new PgSettingsStore(before.db, defaults);
      const inChannel = await migrated.get('discord', 'g1', 'c1');
      expect(inChannel.model).toBe('old/model');
      expect(inChannel.quotas).toEqual({ dailyTokens: 100 });
      await migrated.apply('discord', 'g1', { model: 'new/model' }, ada, 'c1');
      expect((await migrated.get('discord', 'g1', 'c1')).model).toBe('new/model');
      expect((await migrated.get('discord', 'g1')).model).toBe('old/model');
    } finally {
      await rm(folder, { recursive: true, force: true });
      await before.drop();
    }
  });
});
