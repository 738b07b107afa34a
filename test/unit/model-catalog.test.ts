import { describe, expect, it } from 'vitest';
import { ModelListSchema } from '../../src/chutes/chunk-schema.js';
import { CachedModelCatalog, type ModelInfo } from '../../src/chutes/model-catalog.js';

function lister(lists: (readonly ModelInfo[] | Error)[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async listModelInfo() {
      const next = lists[Math.min(calls++, lists.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

describe('CachedModelCatalog', () => {
  it('answers the models and their context lengths from one fetched list', async () => {
    const source = lister([[{ id: 'a', contextLength: 4_096 }, { id: 'b' }]]);
    const catalog = new CachedModelCatalog(source);
    expect(await catalog.chatModels()).toEqual(['a', 'b']);
    expect(await catalog.contextLength('a')).toBe(4_096);
    expect(await catalog.contextLength('b')).toBeUndefined();
    expect(await catalog.contextLength('not-listed')).toBeUndefined();
    expect(source.calls).toBe(1);
  });

  it('asks again after the ttl, and serves the old list while a refresh fails', async () => {
    let now = 0;
    const source = lister([[{ id: 'a', contextLength: 4_096 }], new Error('down')]);
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
    const source = lister([new Error('down'), [{ id: 'a', contextLength: 4_096 }]]);
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
        { id: 'f' },
      ],
    });
    expect(parsed.data.map((m) => m.context_length ?? m.max_model_len)).toEqual([
      65_536,
      8_192,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('reads input_modalities where they are a list of words, and treats anything else as unsaid', async () => {
    const parsed = ModelListSchema.parse({
      data: [
        { id: 'seer', input_modalities: ['text', 'image'] },
        { id: 'blind', input_modalities: ['text'] },
        { id: 'odd', input_modalities: 'image' },
        { id: 'quiet' },
      ],
    });
    expect(parsed.data.map((m) => m.input_modalities)).toEqual([
      ['text', 'image'],
      ['text'],
      undefined,
      undefined,
    ]);
    const catalog = new CachedModelCatalog(
      lister([[{ id: 'seer', inputModalities: ['text', 'image'] }, { id: 'quiet' }]]),
    );
    expect(await catalog.inputModalities('seer')).toEqual(['text', 'image']);
    expect(await catalog.inputModalities('quiet')).toBeUndefined();
    expect(await catalog.inputModalities('not-listed')).toBeUndefined();
  });
});
