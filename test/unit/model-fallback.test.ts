import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatStreamEvent } from '../../src/chutes/chat-client.js';
import { ChutesError } from '../../src/chutes/errors.js';
import {
  fallbackChain,
  fallbackReason,
  streamWithFallback,
  type FallbackUsed,
} from '../../src/core/model-fallback.js';
import type { ChatModel } from '../../src/core/ports.js';

const cold = () => new ChutesError('overloaded', 'No instances available (yet)', { status: 503 });
const full = () => new ChutesError('overloaded', 'infra_overload', { status: 429 });
const noBalance = () => new ChutesError('no_balance', 'no balance', { status: 402 });

/** A model whose answers are scripted per model name: an error, or these deltas (then maybe an error). */
function scripted(
  script: Record<string, (ChutesError | string)[]>,
): ChatModel & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async *streamChat(request: ChatRequest): AsyncIterable<ChatStreamEvent> {
      asked.push(request.model);
      const steps = script[request.model] ?? [];
      // A model answers with its steps in turn; a 503 listed first fails the first ask only.
      const step = steps.length > 1 && steps[0] instanceof ChutesError ? steps.shift()! : undefined;
      if (step instanceof ChutesError) throw step;
      for (const piece of steps) {
        if (piece instanceof ChutesError) throw piece;
        yield { type: 'delta', content: piece };
      }
    },
  };
}

async function run(model: ChatModel, fallbacks: string[]) {
  const used: FallbackUsed[] = [];
  const skipped: [string, unknown][] = [];
  const waits: number[] = [];
  let text = '';
  let error: unknown;
  try {
    for await (const event of streamWithFallback(
      model,
      { model: 'main', messages: [{ role: 'user', content: 'hi' }] },
      {
        fallbacks,
        onFallback: (u) => used.push(u),
        onSkipped: (name, e) => skipped.push([name, e]),
        sleep: async (ms) => void waits.push(ms),
        retryDelayMs: 1500,
      },
    )) {
      if (event.type === 'delta') text += event.content;
    }
  } catch (e) {
    error = e;
  }
  return { used, skipped, waits, text, error };
}

describe('model fallback', () => {
  it('answers from the next model when the model stays cold, and says why', async () => {
    const model = scripted({ main: [cold()], spare: ['from ', 'spare'] });
    const result = await run(model, ['spare']);
    expect(result.text).toBe('from spare');
    // The model once more after a short wait, then the fallback.
    expect(model.asked).toEqual(['main', 'main', 'spare']);
    expect(result.waits).toEqual([1500]);
    expect(result.used).toEqual([{ model: 'spare', from: 'main', reason: 'cold' }]);
  });

  it('takes the model itself when its second ask finds an instance', async () => {
    const model = scripted({ main: [cold(), 'warm now'], spare: ['never'] });
    const result = await run(model, ['spare']);
    expect(result.text).toBe('warm now');
    expect(model.asked).toEqual(['main', 'main']);
    expect(result.used).toEqual([]);
  });

  it('goes down the list past full models; the first reason is the one told', async () => {
    const model = scripted({ main: [full()], a: [cold()], b: ['b answers'] });
    const result = await run(model, ['a', 'b']);
    expect(result.text).toBe('b answers');
    expect(model.asked).toEqual(['main', 'main', 'a', 'b']);
    expect(result.used).toEqual([{ model: 'b', from: 'main', reason: 'full' }]);
  });

  it("without fallbacks asks once and leaves the retry to the queue's backoff", async () => {
    const model = scripted({ main: [cold()] });
    const result = await run(model, []);
    expect(model.asked).toEqual(['main']);
    expect(result.waits).toEqual([]);
    expect(result.error).toMatchObject({ code: 'overloaded', status: 503 });
  });

  it("throws the model's own error when every model is cold", async () => {
    const first = cold();
    const model = scripted({ main: [first], spare: [full()] });
    const result = await run(model, ['spare']);
    expect(result.error).toBe(first);
  });

  it('never moves on for a used-up balance, nor after text arrived', async () => {
    const balance = scripted({ main: [noBalance()], spare: ['no'] });
    expect((await run(balance, ['spare'])).error).toMatchObject({ code: 'no_balance' });
    expect(balance.asked).toEqual(['main']);
    const midway = scripted({ main: ['half', full()], spare: ['no'] });
    const result = await run(midway, ['spare']);
    expect(result.text).toBe('half');
    expect(result.error).toMatchObject({ code: 'overloaded' });
    expect(midway.asked).toEqual(['main']);
  });

  it('skips a fallback that fails otherwise, but not a used-up balance', async () => {
    const gone = new ChutesError('model_not_found', 'gone', { status: 404 });
    const model = scripted({ main: [cold()], a: [gone], b: ['b answers'] });
    const result = await run(model, ['a', 'b']);
    expect(result.text).toBe('b answers');
    expect(result.skipped).toEqual([['a', gone]]);
    expect(result.used).toEqual([{ model: 'b', from: 'main', reason: 'cold' }]);
    const unpaid = scripted({ main: [cold()], a: [noBalance()], b: ['never'] });
    expect((await run(unpaid, ['a', 'b'])).error).toMatchObject({ code: 'no_balance' });
    expect(unpaid.asked).toEqual(['main', 'main', 'a']);
    // The model's own 404 is not a reason to ask another.
    const missing = scripted({ main: [gone], a: ['never'] });
    expect((await run(missing, ['a'])).error).toBe(gone);
  });

  it('names the reasons and the chain', () => {
    expect(fallbackReason(cold())).toBe('cold');
    expect(fallbackReason(full())).toBe('full');
    expect(fallbackReason(noBalance())).toBeUndefined();
    expect(fallbackReason(new Error('x'))).toBeUndefined();
    expect(fallbackChain('m', ['m', 'n'])).toEqual(['m', 'm', 'n']);
    expect(fallbackChain('m', ['m'])).toEqual(['m']);
  });
});
