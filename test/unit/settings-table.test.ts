/**
 * The settings table (core/settings/keys.ts) is the one place a setting is
 * described; these checks fail when an entry lacks what the rest is derived
 * from, or when the database (db/schema.ts) and the table disagree.
 */
import { getTableColumns } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { SAMPLING_KEYS } from '../../src/chutes/chat-request.js';
import {
  COLUMN_FIELDS,
  EXTRA_KEYS,
  SETTINGS,
  SETTING_KEYS,
  effectiveSettings,
  effectiveValue,
  settingEntry,
  storedField,
  type Defaults,
} from '../../src/core/settings/index.js';
import { tenantSettings } from '../../src/db/schema.js';

const columns = getTableColumns(tenantSettings);
/** Columns of tenant_settings that are not one setting each. */
const BOOKKEEPING = ['platform', 'tenantId', 'channelId', 'extra', 'updatedBy', 'updatedAt'];
const SQL_TYPE = {
  string: 'text',
  number: 'double precision',
  integer: 'integer',
  boolean: 'boolean',
};

/** Every Defaults field the table names, each a value of its own so a misplaced one shows. */
const defaults = Object.fromEntries(
  SETTING_KEYS.flatMap((key, i) => {
    const { default: source, spec } = settingEntry(key);
    if (source === undefined || !('env' in source)) return [];
    return [[source.env, spec.type === 'string' ? `default ${key}` : i + 0.5]];
  }),
) as unknown as Defaults;

describe('the settings table', () => {
  it('lists every setting once, in display order', () => {
    expect(SETTING_KEYS).toEqual(Object.keys(SETTINGS));
    expect(new Set(SETTING_KEYS).size).toBe(SETTING_KEYS.length);
  });

  it('gives every setting a description that fits a Discord option', () => {
    for (const key of SETTING_KEYS) {
      const { description } = settingEntry(key);
      expect(typeof description, key).toBe('string');
      expect(description.trim().length, key).toBeGreaterThan(0);
      expect(description.length, key).toBeLessThanOrEqual(100);
    }
  });

  it('sends to Chutes, or keeps in extra, only parameters of its request schema', () => {
    const samplingKeys: readonly string[] = SAMPLING_KEYS;
    for (const key of SETTING_KEYS) {
      const { stored, effective } = settingEntry(key);
      if (stored === 'extra' || effective === 'sampling') {
        expect(samplingKeys, key).toContain(key);
        expect(['number', 'integer'], key).toContain(settingEntry(key).spec.type);
      }
    }
  });

  it('puts each value in force in a place of its own', () => {
    const targets = SETTING_KEYS.map((key) => {
      const { effective } = settingEntry(key);
      return effective === 'sampling' ? `sampling.${key}` : JSON.stringify(effective);
    });
    expect(new Set(targets).size).toBe(targets.length);
    // Every default or stored value lands where effectiveValue reads it back.
    const effective = effectiveSettings(defaults, undefined);
    for (const key of SETTING_KEYS) {
      const source = settingEntry(key).default;
      const expected = source && ('env' in source ? defaults[source.env] : source.value);
      expect(effectiveValue(effective, key), key).toBe(expected);
    }
  });
});

describe('the settings table and the tenant_settings table', () => {
  it('gives each setting with a column the column named like its key, of its type', () => {
    for (const key of SETTING_KEYS) {
      const field = storedField(key);
      if (field === undefined) continue;
      const column = columns[field];
      expect(column, `${key}: tenant_settings has no field ${field}`).toBeDefined();
      expect(column.name, key).toBe(key);
      expect(column.notNull, key).toBe(false);
      expect(column.getSQLType(), key).toBe(SQL_TYPE[settingEntry(key).spec.type]);
    }
  });

  it('has no setting column the table does not name, and no column for an extra', () => {
    const settingColumns = Object.keys(columns).filter((field) => !BOOKKEEPING.includes(field));
    expect([...COLUMN_FIELDS].sort()).toEqual(settingColumns.sort());
    const columnNames = Object.values(columns).map((column) => column.name);
    for (const key of EXTRA_KEYS) expect(columnNames, key).not.toContain(key);
    expect(columns.extra.getSQLType()).toBe('jsonb');
  });
});
