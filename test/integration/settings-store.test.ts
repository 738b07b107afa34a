import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  validateChanges,
  type Actor,
  type Defaults,
  type SettingChanges,
} from '../../src/core/settings/index.js';
import { DEFAULT_SUGGESTED_PROMPTS } from '../../src/core/settings/suggested-prompts.js';
import { settingsAudit, tenantSettings } from '../../src/db/schema.js';
import { PgSettingsStore } from '../../src/db/settings-store.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

let database: TestDatabase;
let store: PgSettingsStore;
beforeAll(async () => {
  database = await createTestDatabase();
  store = new PgSettingsStore(database.db, defaults);
});
afterAll(async () => {
  await database?.drop();
});

const defaults: Defaults = {
  model: 'd/model',
  imageModel: 'd/image',
  temperature: 0.7,
  maxTokens: 1024,
  systemPrompt: 'You are helpful.',
};
const ada: Actor = { id: 'u-ada', name: 'Ada', isAdmin: true };
const bob: Actor = { id: 'u-bob', name: 'Bob', isAdmin: true };

/** Each test gets a tenant of its own, so tests do not see each other's rows. */
let tenants = 0;
const newTenant = () => `t${++tenants}`;

async function auditOf(tenantId: string) {
  const rows = await database.db
    .select()
    .from(settingsAudit)
    .where(eq(settingsAudit.tenantId, tenantId))
    .orderBy(asc(settingsAudit.id));
  return rows.map((r) => ({
    key: r.key,
    old: r.oldValue,
    new: r.newValue,
    actor: `${r.actorId}/${r.actorName}`,
  }));
}

function valid(raw: Record<string, unknown>, knownModels?: readonly string[]): SettingChanges {
  const result = validateChanges(raw, knownModels ? { knownModels } : {});
  if (!result.ok) throw new Error(`invalid: ${JSON.stringify(result.errors)}`);
  return result.changes;
}

describe('PgSettingsStore.apply', () => {
  it('stores changes, returns and then reads the new settings', async () => {
    const tenant = newTenant();
    expect(await store.stored('discord', tenant)).toBeUndefined();
    const changes = valid({
      model: 'chosen/model',
      fallback_models: 'spare/one,spare/two',
      temperature: '0.2',
      top_p: 0.9,
      max_tokens: 256,
      system_prompt: ' Be brief. ',
      image_model: 'flux',
      top_k: '40',
      min_p: 0.05,
      frequency_penalty: -1,
      presence_penalty: 1,
      repetition_penalty: 1.1,
      forget_admin_only: 'true',
      reply_in_thread: 'yes',
      show_reasoning: 'on',
      suggested_prompts: 'Plan my week | Review this code',
      daily_token_limit: '5000',
      daily_image_limit: 3,
    });
    const returned = await store.apply('discord', tenant, changes, ada);
    const expected = {
      model: 'chosen/model',
      imageModel: 'flux',
      visionModel: '',
      systemPrompt: 'Be brief.',
      fallbackModels: 'spare/one, spare/two',
      forgetAdminOnly: true,
      replyInThread: true,
      showReasoning: true,
      suggestedPrompts: 'Plan my week | Review this code',
      quotas: { dailyTokens: 5000, dailyImages: 3 },
      sampling: {
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 256,
        top_k: 40,
        min_p: 0.05,
        frequency_penalty: -1,
        presence_penalty: 1,
        repetition_penalty: 1.1,
      },
    };
    expect(returned).toEqual(expected);
    expect(await store.get('discord', tenant)).toEqual(expected);
    expect(await store.stored('discord', tenant)).toMatchObject({
      temperature: 0.2,
      extra: { top_k: 40, min_p: 0.05 },
      dailyTokenLimit: 5000,
      updatedBy: 'u-ada',
    });
    // The same tenant id on the other platform is another tenant.
    expect((await store.get('slack', tenant)).model).toBe('d/model');
  });

  it('audits each changed key from old to new, and nothing for unchanged values', async () => {
    const tenant = newTenant();
    await store.apply('discord', tenant, { temperature: 0.5, top_k: 10 }, ada);
    await store.apply('discord', tenant, { temperature: 0.9, top_k: 10, max_tokens: 99 }, bob);
    await store.apply('discord', tenant, { temperature: 0.9 }, bob);
    expect(await auditOf(tenant)).toEqual([
      { key: 'temperature', old: null, new: 0.5, actor: 'u-ada/Ada' },
      { key: 'top_k', old: null, new: 10, actor: 'u-ada/Ada' },
      { key: 'temperature', old: 0.5, new: 0.9, actor: 'u-bob/Bob' },
      { key: 'max_tokens', old: null, new: 99, actor: 'u-bob/Bob' },
    ]);
  });

  it('keeps types in the audit: numbers, strings and booleans', async () => {
    const tenant = newTenant();
    await store.apply('discord', tenant, { model: 'a/b', forget_admin_only: false }, ada);
    const [model, flag] = await auditOf(tenant);
    expect(model).toMatchObject({ key: 'model', old: null, new: 'a/b' });
    expect(flag).toMatchObject({ key: 'forget_admin_only', old: null, new: false });
  });

  it('merges extra: keys not changed stay', async () => {
    const tenant = newTenant();
    await store.apply('discord', tenant, { top_k: 40, min_p: 0.1 }, ada);
    await store.apply('discord', tenant, { min_p: 0.2, presence_penalty: 0.5 }, ada);
    expect((await store.stored('discord', tenant))?.extra).toEqual({
      top_k: 40,
      min_p: 0.2,
      presence_penalty: 0.5,
    });
  });

  it('does nothing for no changes', async () => {
    const tenant = newTenant();
    expect(await store.apply('discord', tenant, {}, ada)).toEqual(
      await store.get('discord', tenant),
    );
    expect(await store.stored('discord', tenant)).toBeUndefined();
    expect(await auditOf(tenant)).toEqual([]);
  });

  it('loses no update when two admins change different keys at the same time', async () => {
    for (let round = 0; round < 10; round++) {
      const tenant = newTenant();
      // Both may be the first write of the tenant: both race to create the row too.
      await Promise.all([
        store.apply('discord', tenant, { temperature: 0.1, top_k: 5 }, ada),
        store.apply('discord', tenant, { max_tokens: 77, min_p: 0.3 }, bob),
        store.apply('discord', tenant, { model: 'x/y', presence_penalty: -1 }, ada),
      ]);
      const after = await store.get('discord', tenant);
      expect(after.model).toBe('x/y');
      expect(after.sampling).toEqual({
        temperature: 0.1,
        max_tokens: 77,
        top_k: 5,
        min_p: 0.3,
        presence_penalty: -1,
      });
      expect(await auditOf(tenant)).toHaveLength(6);
    }
  });

  it('serialises two changes of the same key: the audit chains old → new', async () => {
    const tenant = newTenant();
    await store.apply('discord', tenant, { temperature: 1 }, ada);
    await Promise.all([
      store.apply('discord', tenant, { temperature: 0.3 }, ada),
      store.apply('discord', tenant, { temperature: 0.6 }, bob),
    ]);
    const audit = await auditOf(tenant);
    expect(audit).toHaveLength(3);
    const [, second, third] = audit;
    expect(second?.old).toBe(1);
    expect(third?.old).toBe(second?.new);
    expect((await store.get('discord', tenant)).sampling.temperature).toBe(third?.new);
  });
});

describe('PgSettingsStore.reset', () => {
  it('goes back to the defaults and audits each key that had a value', async () => {
    const tenant = newTenant();
    await store.apply(
      'slack',
      tenant,
      { model: 'm/x', temperature: 1.5, top_k: 7, forget_admin_only: true },
      ada,
    );
    const afterReset = await store.reset('slack', tenant, bob);
    const expectedDefaults = {
      model: 'd/model',
      imageModel: 'd/image',
      visionModel: '',
      systemPrompt: 'You are helpful.',
      fallbackModels: '',
      forgetAdminOnly: false,
      replyInThread: false,
      showReasoning: false,
      suggestedPrompts: DEFAULT_SUGGESTED_PROMPTS,
      quotas: {},
      sampling: { temperature: 0.7, max_tokens: 1024 },
    };
    expect(afterReset).toEqual(expectedDefaults);
    expect(await store.get('slack', tenant)).toEqual(expectedDefaults);
    expect(await store.stored('slack', tenant)).toMatchObject({
      model: null,
      temperature: null,
      forgetAdminOnly: null,
      extra: {},
      updatedBy: 'u-bob',
    });
    const resetRows = (await auditOf(tenant)).slice(4);
    expect(resetRows).toEqual([
      { key: 'model', old: 'm/x', new: null, actor: 'u-bob/Bob' },
      { key: 'temperature', old: 1.5, new: null, actor: 'u-bob/Bob' },
      { key: 'top_k', old: 7, new: null, actor: 'u-bob/Bob' },
      { key: 'forget_admin_only', old: true, new: null, actor: 'u-bob/Bob' },
    ]);
    // Null in the audit is SQL NULL, not the JSON value null.
    const { rows } = await database.pool.query(
      'SELECT count(*)::int AS n FROM settings_audit WHERE tenant_id = $1 AND new_value IS NULL',
      [tenant],
    );
    expect(rows[0].n).toBe(4);
  });

  it('of a tenant that never changed anything writes nothing', async () => {
    const tenant = newTenant();
    expect((await store.reset('discord', tenant, ada)).model).toBe('d/model');
    expect(await store.stored('discord', tenant)).toBeUndefined();
    expect(await auditOf(tenant)).toEqual([]);
  });

  it('and a concurrent apply leave one consistent outcome', async () => {
    const tenant = newTenant();
    await store.apply('discord', tenant, { temperature: 1.2 }, ada);
    await Promise.all([
      store.reset('discord', tenant, bob),
      store.apply('discord', tenant, { top_k: 3 }, ada),
    ]);
    const after = await store.get('discord', tenant);
    // Either order is fine; the temperature is always reset and never half-applied.
    expect(after.sampling.temperature).toBe(0.7);
    expect([undefined, 3]).toContain(after.sampling.top_k);
  });
});

describe('validate, then apply', () => {
  it('stores nothing when one value of a set is invalid', async () => {
    const tenant = newTenant();
    await store.apply('discord', tenant, valid({ temperature: 0.4 }), ada);
    const known = ['Qwen/Qwen3-32B'];
    for (const raw of [
      { temperature: '0.9', top_p: 0 },
      { max_tokens: 1.5, min_p: 0.2 },
      { model: 'not/listed', top_k: 3 },
      { temperature: 'NaN' },
      { temperature: Number.POSITIVE_INFINITY },
      { system_prompt: '   ' },
      { colour: 'red', temperature: 1 },
    ]) {
      const result = validateChanges(raw, { knownModels: known });
      expect(result.ok, JSON.stringify(raw)).toBe(false);
      if (result.ok) await store.apply('discord', tenant, result.changes, ada);
    }
    const [row] = await database.db
      .select()
      .from(tenantSettings)
      .where(eq(tenantSettings.tenantId, tenant));
    expect(row).toMatchObject({ temperature: 0.4, topP: null, maxTokens: null, model: null });
    expect(row?.extra).toEqual({});
    expect(await auditOf(tenant)).toHaveLength(1);

    const ok = validateChanges({ model: 'qwen/qwen3-32b', top_k: '-1' }, { knownModels: known });
    expect(ok.ok).toBe(true);
    if (ok.ok) await store.apply('discord', tenant, ok.changes, ada);
    expect(await store.get('discord', tenant)).toMatchObject({
      model: 'Qwen/Qwen3-32B',
      sampling: { temperature: 0.4, top_k: -1 },
    });
  });
});
