/**
 * What a tenant's tokens cost at the models list's prices (USD per million
 * tokens, `pricing` in `GET /v1/models`), for `/usage`: per window and per
 * model. A model the list no longer prices (renamed, removed) adds nothing,
 * and the figure says it is partial.
 */
import { costUsd, type ModelInfo } from '../chutes/model-info.js';
import { USAGE_WINDOWS, type UsageGroup, type UsageWindow } from './usage.js';

export interface UsageCosts {
  /** Each window's cost, over the models with a price. */
  readonly windows: ReadonlyMap<UsageWindow, Cost>;
  /** Each priced model's cost over the last 30 days. */
  readonly models: ReadonlyMap<string, Cost>;
}

export interface Cost {
  readonly usd: number;
  /** Some tokens were of a model without a price: the cost is at least this. */
  readonly partial: boolean;
}

export function usageCosts(
  groups: readonly UsageGroup[],
  infos: readonly Pick<ModelInfo, 'id' | 'pricing'>[],
): UsageCosts {
  const prices = new Map(infos.map((info) => [info.id, info.pricing]));
  const windows = new Map<UsageWindow, Cost>();
  const models = new Map<string, Cost>();
  const priced = new Set<UsageWindow>();
  for (const group of groups) {
    if (group.kind !== 'chat' || group.promptTokens + group.completionTokens === 0) continue;
    const usd = costUsd(prices.get(group.model), group);
    const cost = { usd: usd ?? 0, partial: usd === undefined };
    for (const days of USAGE_WINDOWS) {
      if (group.window > days) continue;
      addCost(windows, days, cost);
      if (usd !== undefined) priced.add(days);
    }
    if (usd !== undefined) addCost(models, group.model, cost);
  }
  // A window none of whose models has a price has no cost to show.
  for (const days of windows.keys()) if (!priced.has(days)) windows.delete(days);
  return { windows, models };
}

function addCost<K>(into: Map<K, Cost>, key: K, cost: Cost): void {
  const had = into.get(key);
  into.set(key, {
    usd: (had?.usd ?? 0) + cost.usd,
    partial: (had?.partial ?? false) || cost.partial,
  });
}

/** A cost as people read it: cents, or two significant digits below a cent. */
export function usdText(cost: Cost): string {
  const { usd } = cost;
  const figure = usd === 0 ? '0.00' : usd >= 0.01 ? usd.toFixed(2) : usd.toPrecision(2);
  return `${cost.partial ? '≥ ' : '≈ '}$${figure}`;
}
