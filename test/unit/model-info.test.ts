import { describe, expect, it } from 'vitest';
import { CachedModelCatalog } from '../../src/chutes/model-catalog.js';
import { costUsd, ModelListSchema, modelInfoOf, takesImages } from '../../src/chutes/model-info.js';

const parse = (data: unknown[]) =>
  ModelListSchema.parse({ object: 'list', data }).data.map(modelInfoOf);

describe('the models list, typed', () => {
  it("reads Chutes' fields: modalities, prices per million tokens, context length", () => {
    const [info] = parse([
      {
        id: 'Qwen/Qwen2.5-VL-32B-Instruct',
        input_modalities: ['text', 'image'],
        pricing: { prompt: 0.03, completion: 0.12 },
        context_length: 32768,
        max_model_len: 16384,
      },
    ]);
    expect(info).toEqual({
      id: 'Qwen/Qwen2.5-VL-32B-Instruct',
      inputModalities: ['text', 'image'],
      pricing: { prompt: 0.03, completion: 0.12 },
      contextLength: 32768,
    });
    expect(takesImages(info!)).toBe(true);
  });

  it('falls back to the legacy price and max_model_len, and to text only', () => {
    const [info] = parse([
      {
        id: 'm',
        price: { input: { usd: 0.5, tao: 1 }, output: { usd: '1.5', tao: 2 } },
        max_model_len: 8192,
      },
    ]);
    expect(info).toEqual({
      id: 'm',
      inputModalities: ['text'],
      pricing: { prompt: 0.5, completion: 1.5 },
      contextLength: 8192,
    });
    expect(takesImages(info!)).toBe(false);
  });

  it('drops a malformed field, never the model', () => {
    const [info] = parse([
      { id: 'm', input_modalities: 'image', pricing: { prompt: 'free' }, context_length: -1 },
    ]);
    expect(info).toEqual({ id: 'm', inputModalities: ['text'] });
  });

  it('prices tokens in USD, or says nothing without prices', () => {
    expect(
      costUsd(
        { prompt: 0.2, completion: 0.8 },
        { promptTokens: 1_000_000, completionTokens: 500_000 },
      ),
    ).toBeCloseTo(0.6);
    expect(costUsd(undefined, { promptTokens: 10, completionTokens: 10 })).toBeUndefined();
  });
});

describe('CachedModelCatalog', () => {
  it('serves ids and infos from one fetch', async () => {
    let calls = 0;
    const catalog = new CachedModelCatalog({
      listModelInfos: async () => {
        calls++;
        return [
          { id: 'a', inputModalities: ['text'] },
          { id: 'b', inputModalities: ['text', 'image'] },
        ];
      },
    });
    expect(await catalog.chatModels()).toEqual(['a', 'b']);
    expect((await catalog.modelInfo('b'))?.inputModalities).toEqual(['text', 'image']);
    expect(await catalog.modelInfo('c')).toBeUndefined();
    expect(calls).toBe(1);
  });
});
