import { describe, expect, it } from 'vitest';
import { ModelListSchema } from '../../src/chutes/model-info.js';
import { CachedModelCatalog, type ModelInfo } from '../../src/chutes/model-catalog.js';

function lister(lists: (ModelInfo[] | Error)[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async listModelInfos() {
      const next = lists[Math.min(calls++, lists.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

describe('CachedModelCatalog', () => {
  it('uses a list fetched elsewhere (the key check) without fetching it again', async () => {
    const source = lister([[{ id: 'fetched', inputModalities: ['text'] }]]);
    const catalog = new CachedModelCatalog(source);
    catalog.remember([{ id: 'remembered', inputModalities: ['text'], contextLength: 8_192 }]);
    expect(await catalog.chatModels()).toEqual(['remembered']);
    expect(await catalog.contextLength('remembered')).toBe(8_192);
    expect(source.calls).toBe(0);
  });

  it('answers the models and their context lengths from one fetched list', async () => {
    const source = lister([
      [
        { id: 'a', inputModalities: ['text'], contextLength: 4_096 },
        { id: 'b', inputModalities: ['text'] },
      ],
    ]);
    const catalog = new CachedModelCatalog(source);
    expect(await catalog.chatModels()).toEqual(['a', 'b']);
    expect(await catalog.contextLength('a')).toBe(4_096);
    expect(await catalog.contextLength('b')).toBeUndefined();
    expect(await catalog.contextLength('not-listed')).toBeUndefined();
    expect(source.calls).toBe(1);
  });

  it('asks again after the ttl, and serves the old list while a refresh fails', async () => {
    let now = 0;
    const source = lister([
      [{ id: 'a', inputModalities: ['text'], contextLength: 4_096 }],
      new Error('down'),
    ]);
    const catalog = new CachedModelCatalog(source, {
      ttlMs: 10,
      staleMs: 100,
      retryMs: 0,
      now: () => now,
    });
    expect(await catalog.contextLength('a')).toBe(4_096);
    now = 50;
    expect(await catalog.contextLength('a')).toBe(4_096);
    expect(source.calls).toBe(2);
    now = 200;
    await expect(catalog.contextLength('a')).rejects.toThrow('down');
  });

  it('does not ask again on every question while the list cannot be read', async () => {
    let now = 0;
    const source = lister([
      new Error('down'),
      [{ id: 'a', inputModalities: ['text'], contextLength: 4_096 }],
    ]);
    const catalog = new CachedModelCatalog(source, { retryMs: 1_000, now: () => now });
    await expect(catalog.contextLength('a')).rejects.toThrow('down');
    now = 999;
    await expect(catalog.contextLength('a')).rejects.toThrow('down');
    await expect(catalog.chatModels()).rejects.toThrow('down');
    expect(source.calls).toBe(1);
    now = 1_000;
    expect(await catalog.contextLength('a')).toBe(4_096);
    expect(source.calls).toBe(2);
  });
});

describe('the models list schema', () => {
  it("reads context_length, else vLLM's max_model_len, and takes an odd value for none", () => {
    const parsed = ModelListSchema.parse({
      data: [
        { id: 'a', context_length: 65_536 },
        { id: 'b', max_model_len: 8_192 },
        { id: 'c', context_length: null },
        { id: 'd', context_length: 0 },
        { id: 'e', context_length: 'lots' },
        { id: 'f', inputModalities: ['text'] },
      ],
    });
    expect(
      parsed.data.map(
        (m: { context_length?: number; max_model_len?: number }) =>
          m.context_length ?? m.max_model_len,
      ),
    ).toEqual([65_536, 8_192, undefined, undefined, undefined, undefined]);
  });
});
