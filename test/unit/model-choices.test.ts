import { describe, expect, it } from 'vitest';
import {
  missingModelLines,
  modelCompletions,
  modelsLine,
  modelTraits,
} from '../../src/core/model-choices.js';
import { PaymentNotices } from '../../src/core/payment-notice.js';
import { usageCosts, usdText } from '../../src/core/usage-cost.js';
import type { UsageGroup } from '../../src/core/usage.js';
import { usageReportText } from '../../src/core/usage-text.js';
import { summarizeUsage } from '../../src/core/usage.js';
import type { Defaults } from '../../src/core/settings/index.js';

const vision = {
  id: 'Qwen/Qwen2.5-VL-32B-Instruct',
  inputModalities: ['text', 'image'],
  pricing: { prompt: 0.03, completion: 0.12 },
};
const text = { id: 'a/text', inputModalities: ['text'], pricing: { prompt: 0.2, completion: 0.8 } };

describe('model choices', () => {
  it("show each model's price per million tokens and whether it takes images", () => {
    expect(modelTraits(vision)).toBe('$0.03/$0.12 per M tokens · images');
    expect(modelTraits(text)).toBe('$0.2/$0.8 per M tokens · text only');
    expect(modelTraits({ inputModalities: ['text'], pricing: { prompt: 0, completion: 0 } })).toBe(
      'free · text only',
    );
    expect(modelTraits({ inputModalities: ['text'] })).toBe('price unknown · text only');
    expect(modelCompletions([vision, text], 'vl', 'chat-models')).toEqual([
      {
        name: 'Qwen/Qwen2.5-VL-32B-Instruct · $0.03/$0.12 per M tokens · images',
        value: 'Qwen/Qwen2.5-VL-32B-Instruct',
      },
    ]);
    // Discord's 100-character limit: the bare id when the traits do not fit.
    const long = { ...text, id: 'x'.repeat(90) };
    expect(modelCompletions([long], 'x', 'chat-models')).toEqual([
      { name: long.id, value: long.id },
    ]);
  });

  it('complete the last name of a list, keeping the ones before it', () => {
    expect(modelCompletions([vision, text], 'a/text, qwen', 'chat-model-list')).toEqual([
      {
        name: 'a/text, Qwen/Qwen2.5-VL-32B-Instruct · $0.03/$0.12 per M tokens · images',
        value: 'a/text, Qwen/Qwen2.5-VL-32B-Instruct',
      },
    ]);
    // A model already in the list is not offered again.
    expect(
      modelCompletions([vision, text], 'a/text,', 'chat-model-list').map((c) => c.value),
    ).toEqual(['a/text, Qwen/Qwen2.5-VL-32B-Instruct']);
    expect(modelsLine([text])).toBe('`a/text` ($0.2/$0.8 per M tokens · text only)');
  });

  it('report the models in force that the list no longer holds', () => {
    const defaults: Defaults = {
      model: 'a/text',
      imageModel: 'img',
      temperature: 0.7,
      maxTokens: 100,
      systemPrompt: '',
    };
    const layers = { tenant: { model: 'gone/model', fallbackModels: 'a/text, old/one' } };
    const lines = missingModelLines(layers, defaults, ['a/text']);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('`gone/model` (**model**) is no longer in the Chutes models list');
    expect(lines[1]).toContain('`old/one` (**fallback_models**)');
    // The image model is not a chat model: never checked against the chat list.
    expect(missingModelLines({}, defaults, ['a/text'])).toEqual([]);
    // vision_model is checked like the model once set; unset, it names none.
    expect(
      missingModelLines({ tenant: { visionModel: 'gone/eyes' } }, defaults, ['a/text']),
    ).toEqual([expect.stringContaining('`gone/eyes` (**vision_model**)')]);
  });
});

describe('payment notices', () => {
  it('log once per tenant per period', () => {
    const logged: object[] = [];
    let now = 0;
    const notices = new PaymentNotices(
      { warn: (details) => void logged.push(details) },
      { periodMs: 1000, now: () => now },
    );
    expect(notices.note('discord', 'g1', 'm')).toBe(true);
    expect(notices.note('discord', 'g1', 'm')).toBe(false);
    expect(notices.note('discord', 'g2', 'm')).toBe(true);
    now = 1000;
    expect(notices.note('discord', 'g1', 'm')).toBe(true);
    expect(logged).toEqual([
      { platform: 'discord', tenantId: 'g1', model: 'm' },
      { platform: 'discord', tenantId: 'g2', model: 'm' },
      { platform: 'discord', tenantId: 'g1', model: 'm' },
    ]);
  });
});

describe('usage cost', () => {
  const group = (over: Partial<UsageGroup>): UsageGroup => ({
    window: 1,
    kind: 'chat',
    model: 'a/text',
    userId: 'u',
    userName: 'U',
    answers: 1,
    images: 0,
    promptTokens: 1_000_000,
    completionTokens: 500_000,
    estimated: false,
    ...over,
  });

  it('prices tokens per window and model at the list prices', () => {
    const groups = [group({}), group({ window: 7, model: 'gone', promptTokens: 10 })];
    const costs = usageCosts(groups, [text]);
    expect(costs.windows.get(1)).toEqual({ usd: 0.6, partial: false });
    // The week holds a model without a price: at least this much.
    expect(costs.windows.get(7)).toEqual({ usd: 0.6, partial: true });
    expect(costs.models.get('a/text')?.usd).toBeCloseTo(0.6);
    expect(costs.models.has('gone')).toBe(false);
    // Nothing priced at all: no cost is shown, rather than $0.
    expect(usageCosts([group({ model: 'gone' })], [text]).windows.size).toBe(0);
    expect(usdText({ usd: 0.6, partial: false })).toBe('≈ $0.60');
    expect(usdText({ usd: 0.000_024, partial: true })).toBe('≥ $0.000024');
  });

  it('appear next to the tokens in /usage', () => {
    const groups = [group({})];
    const now = new Date('2026-01-02T12:00:00Z');
    const quota = {
      tokens: { used: 0 },
      images: { used: 0 },
      resetsAt: new Date('2026-01-03T00:00:00Z'),
    };
    const report = usageReportText(summarizeUsage(groups), quota, now, {
      costs: usageCosts(groups, [text]),
      notices: ['⚠️ notice'],
    });
    expect(report).toContain('**Usage**\n⚠️ notice');
    expect(report).toContain(
      '• **Last 24 h**: 1 answer, 1,000,000 prompt + 500,000 completion tokens (≈ $0.60)',
    );
    expect(report).toContain(
      '• `a/text`: 1 answer, 1,000,000 prompt + 500,000 completion tokens (≈ $0.60)',
    );
  });
});
