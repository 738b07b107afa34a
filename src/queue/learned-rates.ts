/**
 * Rate buckets the platforms' headers taught, shared by every process through
 * a store (one Redis hash per platform, or a Postgres table). Reads are served from memory (the renderer asks
 * before every call) and refreshed in the background; what a process learns
 * is written at once, and only when it changed.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SurfaceOp } from '../core/surface.js';
import type { LearnedRule, RateLearning } from '../core/rate-learning.js';

const REFRESH_MS = 5_000;

const ruleSchema = z.object({
  bucket: z.string().min(1).max(200),
  points: z.number().int().positive(),
  windowMs: z.number().int().positive().optional(),
});

const same = (a: LearnedRule | undefined, b: LearnedRule) =>
  a !== undefined && a.bucket === b.bucket && a.points === b.points && a.windowMs === b.windowMs;

/** Where learned rules are shared: per platform, a rule's JSON per operation. */
export interface LearnedRulesStore {
  read(platform: string): Promise<Record<string, string>>;
  write(platform: string, op: string, rule: string): Promise<void>;
}

export class RedisLearnedRules implements LearnedRulesStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  read(platform: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key(platform));
  }

  async write(platform: string, op: string, rule: string): Promise<void> {
    await this.redis.hset(this.key(platform), op, rule);
  }

  private key(platform: string): string {
    return `${this.prefix}:learned-rates:${platform}`;
  }
}

export class LearnedRates {
  private readonly known = new Map<string, Map<SurfaceOp, LearnedRule>>();
  private timer?: NodeJS.Timeout;
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly store: LearnedRulesStore,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Loads what was learned so far and keeps it fresh until close(). */
  async start(platforms: readonly string[]): Promise<void> {
    await Promise.all(platforms.map((p) => this.refresh(p).catch(this.onError)));
    this.timer = setInterval(() => {
      for (const p of platforms) void this.refresh(p).catch(this.onError);
    }, REFRESH_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Resolves once what this process learned so far is in the shared store. */
  async flush(): Promise<void> {
    await Promise.all([...this.writing]);
  }

  for(platform: string): RateLearning {
    return {
      rules: () => this.rules(platform),
      learn: (op, rule) => this.learn(platform, op, rule),
    };
  }

  rules(platform: string): ReadonlyMap<SurfaceOp, LearnedRule> {
    return this.known.get(platform) ?? new Map();
  }

  learn(platform: string, op: SurfaceOp, observed: LearnedRule): void {
    const rules = this.mine(platform);
    const before = rules.get(op);
    // A window seen once stays known when later responses do not show it.
    const rule: LearnedRule = {
      ...observed,
      windowMs:
        observed.windowMs ?? (before?.bucket === observed.bucket ? before.windowMs : undefined),
    };
    if (same(before, rule)) return;
    rules.set(op, rule);
    const write = this.store.write(platform, op, JSON.stringify(rule)).catch(this.onError);
    this.writing.add(write);
    void write.finally(() => this.writing.delete(write));
  }

  private async refresh(platform: string): Promise<void> {
    const stored = await this.store.read(platform);
    const rules = this.mine(platform);
    for (const [op, text] of Object.entries(stored)) {
      const parsed = ruleSchema.safeParse(JSON.parse(text));
      if (parsed.success) rules.set(op as SurfaceOp, parsed.data);
    }
  }

  private mine(platform: string): Map<SurfaceOp, LearnedRule> {
    let rules = this.known.get(platform);
    if (!rules) {
      rules = new Map();
      this.known.set(platform, rules);
    }
    return rules;
  }
}
