/**
 * Per-tenant generation settings: the environment's defaults merged with what
 * a tenant's admins stored. A stored null means "use the default".
 */
import type { SamplingParams } from '../chutes/chat-client.js';

export interface Defaults {
  readonly model: string;
  readonly imageModel: string;
  readonly temperature: number;
  readonly maxTokens: number;
  readonly systemPrompt: string;
}

/** What a tenant stored; absent or null fields fall back to the defaults. */
export interface StoredSettings {
  readonly model?: string | null;
  readonly temperature?: number | null;
  readonly topP?: number | null;
  readonly maxTokens?: number | null;
  readonly systemPrompt?: string | null;
  readonly imageModel?: string | null;
  readonly forgetAdminOnly?: boolean | null;
  /** Further sampling parameters by their Chutes name (top_k, min_p, …). */
  readonly extra?: Readonly<Record<string, number>>;
}

export interface EffectiveSettings {
  readonly model: string;
  readonly imageModel: string;
  readonly systemPrompt: string;
  readonly forgetAdminOnly: boolean;
  readonly sampling: SamplingParams;
}

export function effectiveSettings(
  defaults: Defaults,
  stored: StoredSettings | undefined,
): EffectiveSettings {
  const s = stored ?? {};
  const sampling: SamplingParams = {
    ...(s.extra ?? {}),
    temperature: s.temperature ?? defaults.temperature,
    max_tokens: s.maxTokens ?? defaults.maxTokens,
    ...(s.topP != null ? { top_p: s.topP } : {}),
  };
  return {
    model: s.model ?? defaults.model,
    imageModel: s.imageModel ?? defaults.imageModel,
    systemPrompt: s.systemPrompt ?? defaults.systemPrompt,
    forgetAdminOnly: s.forgetAdminOnly ?? false,
    sampling,
  };
}

/** Where the core reads a tenant's settings from (Postgres in production). */
export interface SettingsSource {
  get(platform: string, tenantId: string): Promise<EffectiveSettings>;
}
