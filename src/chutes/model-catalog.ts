/**
 * The Chutes chat model list, cached: autocomplete asks on every keystroke and
 * must answer within Discord's 3 seconds, and settings validation asks on every
 * change. A failed refresh serves the previous list while it is not too old.
 */
export interface ModelLister {
  listModelEntries(signal?: AbortSignal): Promise<ModelEntry[]>;
}

/** One model of `GET /v1/models`. */
export interface ModelEntry {
  readonly id: string;
  /** `input_modalities` (`text`, `image`, …); unset where Chutes does not say. */
  readonly inputModalities?: readonly string[];
}

export const MODEL_CATALOG_DEFAULTS = {
  /** How long a fetched list is used before asking again. */
  ttlMs: 5 * 60_000,
  /** How long an old list still serves while Chutes cannot be reached. */
  staleMs: 60 * 60_000,
} as const;

export class CachedModelCatalog {
  private cached?: { models: readonly ModelEntry[]; at: number };
  private inFlight?: Promise<readonly ModelEntry[]>;

  constructor(
    private readonly lister: ModelLister,
    private readonly options: { ttlMs?: number; staleMs?: number; now?: () => number } = {},
  ) {}

  async chatModels(): Promise<readonly string[]> {
    return (await this.entries()).map((model) => model.id);
  }

  /** What `model` takes as input, as the list says; undefined for a model not listed or not said. */
  async inputModalities(model: string): Promise<readonly string[] | undefined> {
    return (await this.entries()).find((entry) => entry.id === model)?.inputModalities;
  }

  async entries(): Promise<readonly ModelEntry[]> {
    const now = this.options.now ?? Date.now;
    const ttl = this.options.ttlMs ?? MODEL_CATALOG_DEFAULTS.ttlMs;
    const stale = this.options.staleMs ?? MODEL_CATALOG_DEFAULTS.staleMs;
    if (this.cached && now() - this.cached.at < ttl) return this.cached.models;
    this.inFlight ??= this.lister
      .listModelEntries()
      .then((models) => {
        this.cached = { models, at: now() };
        return models;
      })
      .finally(() => (this.inFlight = undefined));
    try {
      return await this.inFlight;
    } catch (error) {
      if (this.cached && now() - this.cached.at < stale) return this.cached.models;
      throw error;
    }
  }
}
