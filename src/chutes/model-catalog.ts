/**
 * The Chutes chat model list, cached: autocomplete asks on every keystroke and
 * must answer within Discord's 3 seconds, settings validation asks on every
 * change, and every question asks for its model's context length. A failed
 * refresh serves the previous list while it is not too old.
 */

/** What the models list tells of one model. */
export interface ModelInfo {
  readonly id: string;
  /** Tokens of prompt and answer together; undefined where the list gives none. */
  readonly contextLength?: number;
  /** `input_modalities` (`text`, `image`, …); undefined where the list gives none. */
  readonly inputModalities?: readonly string[];
}

export interface ModelLister {
  listModelInfo(signal?: AbortSignal): Promise<readonly ModelInfo[]>;
}

export const MODEL_CATALOG_DEFAULTS = {
  /** How long a fetched list is used before asking again. */
  ttlMs: 5 * 60_000,
  /** How long an old list still serves while Chutes cannot be reached. */
  staleMs: 60 * 60_000,
  /**
   * After a failed fetch, how long callers get the old list or that failure
   * at once rather than a new fetch each: every question asks.
   */
  retryMs: 30_000,
} as const;

export class CachedModelCatalog {
  private cached?: { models: readonly string[]; info: readonly ModelInfo[]; at: number };
  private inFlight?: Promise<{ models: readonly string[]; info: readonly ModelInfo[] }>;
  private failed?: { error: unknown; at: number };

  constructor(
    private readonly lister: ModelLister,
    private readonly options: {
      ttlMs?: number;
      staleMs?: number;
      retryMs?: number;
      now?: () => number;
    } = {},
  ) {}

  async chatModels(): Promise<readonly string[]> {
    return (await this.list()).models;
  }

  /** The context length the list gives for `model`; undefined where it gives none. */
  async contextLength(model: string): Promise<number | undefined> {
    return (await this.list()).info.find((entry) => entry.id === model)?.contextLength;
  }

  /** What `model` takes as input, as the list says; undefined where it does not say. */
  async inputModalities(model: string): Promise<readonly string[] | undefined> {
    return (await this.list()).info.find((entry) => entry.id === model)?.inputModalities;
  }

  private async list(): Promise<{ models: readonly string[]; info: readonly ModelInfo[] }> {
    const now = this.options.now ?? Date.now;
    const ttl = this.options.ttlMs ?? MODEL_CATALOG_DEFAULTS.ttlMs;
    const stale = this.options.staleMs ?? MODEL_CATALOG_DEFAULTS.staleMs;
    if (this.cached && now() - this.cached.at < ttl) return this.cached;
    const retry = this.options.retryMs ?? MODEL_CATALOG_DEFAULTS.retryMs;
    if (this.failed && now() - this.failed.at < retry) {
      if (this.cached && now() - this.cached.at < stale) return this.cached;
      throw this.failed.error;
    }
    this.inFlight ??= this.lister
      .listModelInfo()
      .then((info) => {
        this.cached = { models: info.map((entry) => entry.id), info, at: now() };
        this.failed = undefined;
        return this.cached;
      })
      .finally(() => (this.inFlight = undefined));
    try {
      return await this.inFlight;
    } catch (error) {
      this.failed = { error, at: now() };
      if (this.cached && now() - this.cached.at < stale) return this.cached;
      throw error;
    }
  }
}
