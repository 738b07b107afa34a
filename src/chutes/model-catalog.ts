/**
 * The Chutes chat model list, cached: autocomplete asks on every keystroke and
 * must answer within Discord's 3 seconds, settings validation asks on every
 * change, and every question asks for its model's context length. A failed
 * refresh serves the previous list while it is not too old.
 */
import type { ModelInfo } from './model-info.js';

export type { ModelInfo, ModelPricing } from './model-info.js';
export { costUsd, takesImages } from './model-info.js';

export interface ModelLister {
  listModelInfos(signal?: AbortSignal): Promise<ModelInfo[]>;
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

interface Listed {
  readonly infos: readonly ModelInfo[];
  readonly ids: readonly string[];
  readonly byId: ReadonlyMap<string, ModelInfo>;
}

export class CachedModelCatalog {
  private cached?: Listed & { at: number };
  private inFlight?: Promise<Listed>;
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

  /** The ids of the chat models, as listed. */
  async chatModels(): Promise<readonly string[]> {
    return (await this.listed()).ids;
  }

  /** Every chat model with its modalities, prices and context length, as listed. */
  async modelInfos(): Promise<readonly ModelInfo[]> {
    return (await this.listed()).infos;
  }

  /** One model's info; undefined when the list does not hold it. */
  async modelInfo(id: string): Promise<ModelInfo | undefined> {
    return (await this.listed()).byId.get(id);
  }

  /** The context length the list gives for `model`; undefined where it gives none. */
  async contextLength(model: string): Promise<number | undefined> {
    return (await this.modelInfo(model))?.contextLength;
  }

  /** A list fetched elsewhere (the start-up's key check): used as if this catalogue fetched it. */
  remember(infos: readonly ModelInfo[]): void {
    this.keep(infos);
  }

  private keep(infos: readonly ModelInfo[]): Listed {
    const listed = {
      infos,
      ids: infos.map((info) => info.id),
      byId: new Map(infos.map((info) => [info.id, info])),
    };
    this.cached = { ...listed, at: (this.options.now ?? Date.now)() };
    this.failed = undefined;
    return listed;
  }

  private async listed(): Promise<Listed> {
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
      .listModelInfos()
      .then((infos) => this.keep(infos))
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
