import { and, eq } from 'drizzle-orm';
import {
  effectiveSettings,
  type Defaults,
  type EffectiveSettings,
  type SettingsSource,
} from '../core/settings.js';
import type { Db } from './client.js';
import { tenantSettings } from './schema.js';

export class PgSettingsStore implements SettingsSource {
  constructor(
    private readonly db: Db,
    private readonly defaults: Defaults,
  ) {}

  async get(platform: string, tenantId: string): Promise<EffectiveSettings> {
    const [row] = await this.db
      .select()
      .from(tenantSettings)
      .where(and(eq(tenantSettings.platform, platform), eq(tenantSettings.tenantId, tenantId)));
    return effectiveSettings(this.defaults, row);
  }
}
