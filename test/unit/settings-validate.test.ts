import { describe, expect, it } from 'vitest';
import {
  modelList,
  SETTING_KEYS,
  SETTING_SPECS,
  resolveSettingKey,
  validateChanges,
  validateSetting,
  type SettingError,
} from '../../src/core/settings/index.js';

function accepted(key: string, raw: unknown, knownModels?: readonly string[]): unknown {
  const result = validateSetting(key, raw, knownModels ? { knownModels } : {});
  if (!result.ok) throw new Error(`expected ${key}=${String(raw)} to pass: ${result.error.code}`);
  return result.value;
}

function rejected(key: string, raw: unknown, knownModels?: readonly string[]): SettingError {
  const result = validateSetting(key, raw, knownModels ? { knownModels } : {});
  if (result.ok)
    throw new Error(`expected ${key}=${String(raw)} to fail, got ${String(result.value)}`);
  return result.error;
}

const code = (key: string, raw: unknown, known?: readonly string[]) =>
  rejected(key, raw, known).code;

describe('SETTING_KEYS and SETTING_SPECS', () => {
  it('lists every user-facing key once, in display order, each with a spec', () => {
    expect(SETTING_KEYS).toEqual([
      'model',
      'fallback_models',
      'temperature',
      'top_p',
      'max_tokens',
      'system_prompt',
      'image_model',
      'vision_model',
      'top_k',
      'min_p',
      'frequency_penalty',
      'presence_penalty',
      'repetition_penalty',
      'forget_admin_only',
      'reply_in_thread',
      'show_reasoning',
      'suggested_prompts',
      'daily_token_limit',
      'daily_image_limit',
      'daily_user_token_limit',
      'daily_user_image_limit',
    ]);
    expect(Object.keys(SETTING_SPECS).sort()).toEqual([...SETTING_KEYS].sort());
  });

  it('has descriptions that fit a Discord option (1 to 100 characters)', () => {
    for (const key of SETTING_KEYS) {
      const { description } = SETTING_SPECS[key];
      expect(description.length, key).toBeGreaterThan(0);
      expect(description.length, key).toBeLessThanOrEqual(100);
      expect(key).toMatch(/^[a-z_]{1,32}$/);
    }
  });

  it('resolves the spellings Slack users type', () => {
    expect(resolveSettingKey('top_p')).toBe('top_p');
    expect(resolveSettingKey(' Top-P ')).toBe('top_p');
    expect(resolveSettingKey('topP')).toBe('top_p');
    expect(resolveSettingKey('maxTokens')).toBe('max_tokens');
    expect(resolveSettingKey('system prompt')).toBe('system_prompt');
    expect(resolveSettingKey('seed')).toBeUndefined();
    expect(resolveSettingKey('')).toBeUndefined();
  });
});

describe('validateSetting: temperature (0 to 2)', () => {
  it('accepts the bounds, numbers and numeric strings', () => {
    expect(accepted('temperature', 0)).toBe(0);
    expect(accepted('temperature', 2)).toBe(2);
    expect(accepted('temperature', 2.0)).toBe(2);
    expect(accepted('temperature', '0.2')).toBe(0.2);
    expect(accepted('temperature', ' 2 ')).toBe(2);
    expect(accepted('temperature', '.5')).toBe(0.5);
    expect(accepted('temperature', '+1')).toBe(1);
    expect(accepted('temperature', '1e0')).toBe(1);
  });

  it('stores -0 as 0', () => {
    expect(Object.is(accepted('temperature', -0), 0)).toBe(true);
    expect(Object.is(accepted('temperature', '-0'), 0)).toBe(true);
  });

  it('rejects values just outside the range and huge ones', () => {
    expect(code('temperature', 2.0001)).toBe('out_of_range');
    expect(code('temperature', -0.0001)).toBe('out_of_range');
    expect(code('temperature', '-0.0001')).toBe('out_of_range');
    expect(code('temperature', 1e300)).toBe('out_of_range');
    expect(code('temperature', Number.MAX_VALUE)).toBe('out_of_range');
    expect(code('temperature', '99999999999999999999999')).toBe('out_of_range');
  });

  it('rejects what is not a finite number', () => {
    expect(code('temperature', Number.NaN)).toBe('not_a_number');
    expect(code('temperature', Number.POSITIVE_INFINITY)).toBe('not_a_number');
    expect(code('temperature', Number.NEGATIVE_INFINITY)).toBe('not_a_number');
    // A JSON or JS 1e309 arrives as Infinity.
    expect(code('temperature', Number('1e309'))).toBe('not_a_number');
    expect(code('temperature', '1e309')).toBe('not_a_number');
    expect(code('temperature', 'abc')).toBe('not_a_number');
    expect(code('temperature', 'NaN')).toBe('not_a_number');
    expect(code('temperature', 'Infinity')).toBe('not_a_number');
    expect(code('temperature', '0x1')).toBe('not_a_number');
    expect(code('temperature', '0,5')).toBe('not_a_number');
    expect(code('temperature', '1 2')).toBe('not_a_number');
    expect(code('temperature', true)).toBe('not_a_number');
    expect(code('temperature', {})).toBe('not_a_number');
    expect(code('temperature', [1])).toBe('not_a_number');
  });

  it('calls a missing or blank value empty', () => {
    expect(code('temperature', '')).toBe('empty');
    expect(code('temperature', '  ')).toBe('empty');
    expect(code('temperature', undefined)).toBe('empty');
    expect(code('temperature', null)).toBe('empty');
  });

  it('says what is allowed and echoes what was received', () => {
    expect(rejected('temperature', 'abc')).toEqual({
      code: 'not_a_number',
      key: 'temperature',
      allowed: 'a number from 0 to 2',
      received: 'abc',
    });
    expect(rejected('temperature', 3).received).toBe('3');
    expect(rejected('temperature', 'x'.repeat(500)).received?.length).toBeLessThanOrEqual(60);
  });
});

describe('validateSetting: the other numbers', () => {
  it('top_p is in (0, 1]: vLLM rejects 0', () => {
    expect(code('top_p', 0)).toBe('out_of_range');
    expect(accepted('top_p', 0.0001)).toBe(0.0001);
    expect(accepted('top_p', 1)).toBe(1);
    expect(code('top_p', 1.0001)).toBe('out_of_range');
    expect(rejected('top_p', 0).allowed).toBe('a number greater than 0 and at most 1');
  });

  it('min_p is in [0, 1]', () => {
    expect(accepted('min_p', 0)).toBe(0);
    expect(accepted('min_p', '1')).toBe(1);
    expect(code('min_p', -0.0001)).toBe('out_of_range');
    expect(code('min_p', 1.0001)).toBe('out_of_range');
  });

  it('frequency and presence penalties are in [-2, 2]', () => {
    for (const key of ['frequency_penalty', 'presence_penalty']) {
      expect(accepted(key, -2)).toBe(-2);
      expect(accepted(key, '2')).toBe(2);
      expect(code(key, -2.0001)).toBe('out_of_range');
      expect(code(key, 2.0001)).toBe('out_of_range');
    }
  });

  it('repetition_penalty is in (0, 2]', () => {
    expect(code('repetition_penalty', 0)).toBe('out_of_range');
    expect(accepted('repetition_penalty', 0.01)).toBe(0.01);
    expect(accepted('repetition_penalty', 2)).toBe(2);
    expect(code('repetition_penalty', 2.0001)).toBe('out_of_range');
  });

  it('max_tokens is a whole number from 1 to 131072', () => {
    expect(accepted('max_tokens', 1)).toBe(1);
    expect(accepted('max_tokens', '131072')).toBe(131_072);
    expect(accepted('max_tokens', '1e3')).toBe(1000);
    expect(accepted('max_tokens', '512.0')).toBe(512);
    expect(code('max_tokens', 0)).toBe('out_of_range');
    expect(code('max_tokens', 131_073)).toBe('out_of_range');
    expect(code('max_tokens', 1.5)).toBe('not_an_integer');
    expect(code('max_tokens', '1.5')).toBe('not_an_integer');
    expect(code('max_tokens', 1e20)).toBe('out_of_range');
    expect(code('max_tokens', Number.NaN)).toBe('not_a_number');
    expect(rejected('max_tokens', 1.5).allowed).toBe('a whole number from 1 to 131072');
  });

  it('top_k is -1 (off) or a whole number from 1 to 1000', () => {
    expect(accepted('top_k', -1)).toBe(-1);
    expect(accepted('top_k', '-1')).toBe(-1);
    expect(code('top_k', 0)).toBe('out_of_range');
    expect(accepted('top_k', 1)).toBe(1);
    expect(accepted('top_k', 1000)).toBe(1000);
    expect(code('top_k', 1001)).toBe('out_of_range');
    expect(code('top_k', -2)).toBe('out_of_range');
    expect(code('top_k', 2.5)).toBe('not_an_integer');
    expect(rejected('top_k', 0).allowed).toBe(
      'a whole number from 1 to 1000, or -1 to turn it off',
    );
  });
});

describe('validateSetting: text and models', () => {
  it('system_prompt is trimmed, 1 to 4000 characters', () => {
    expect(accepted('system_prompt', '  Be brief.  ')).toBe('Be brief.');
    expect(accepted('system_prompt', 'line one\nline two\ttab')).toBe('line one\nline two\ttab');
    expect(accepted('system_prompt', 'x'.repeat(4000))).toHaveLength(4000);
    // Counted in characters, not UTF-16 units: 4000 emoji fit.
    expect(accepted('system_prompt', '🙂'.repeat(4000))).toHaveLength(8000);
    expect(code('system_prompt', 'x'.repeat(4001))).toBe('too_long');
    expect(code('system_prompt', '')).toBe('empty');
    expect(code('system_prompt', '   \n ')).toBe('empty');
    expect(code('system_prompt', 42)).toBe('not_text');
    // Postgres text cannot hold NUL.
    expect(code('system_prompt', 'a\u0000b')).toBe('invalid_characters');
  });

  it('model is a non-empty name of at most 200 characters without spaces', () => {
    expect(accepted('model', ' deepseek-ai/DeepSeek-V3 ')).toBe('deepseek-ai/DeepSeek-V3');
    expect(accepted('model', 'a'.repeat(200))).toHaveLength(200);
    expect(code('model', 'a'.repeat(201))).toBe('too_long');
    expect(code('model', '')).toBe('empty');
    expect(code('model', '  ')).toBe('empty');
    expect(code('model', 'two words')).toBe('invalid_characters');
    expect(code('model', 7)).toBe('not_text');
  });

  const known = ['deepseek-ai/DeepSeek-V3', 'deepseek-ai/DeepSeek-R1', 'Qwen/Qwen3-32B'];

  it('model must be in the Chutes list when the caller has it', () => {
    expect(accepted('model', 'anything/goes')).toBe('anything/goes');
    expect(accepted('model', 'Qwen/Qwen3-32B', known)).toBe('Qwen/Qwen3-32B');
    expect(accepted('model', 'qwen/qwen3-32b', known)).toBe('Qwen/Qwen3-32B');
    const error = rejected('model', 'deepseek', known);
    expect(error).toMatchObject({
      code: 'unknown_model',
      key: 'model',
      received: 'deepseek',
      suggestions: ['deepseek-ai/DeepSeek-V3', 'deepseek-ai/DeepSeek-R1'],
    });
    expect(rejected('model', 'gpt-4', known).suggestions).toBeUndefined();
    expect(code('model', 'gpt-4', [])).toBe('unknown_model');
  });

  it('vision_model is checked against the chat model list, as the model is', () => {
    expect(accepted('vision_model', 'Qwen/Qwen3-32B', known)).toBe('Qwen/Qwen3-32B');
    expect(code('vision_model', 'not-listed', known)).toBe('unknown_model');
  });

  it('fallback_models is a list of listed models, stored as listed, or none', () => {
    expect(accepted('fallback_models', 'qwen/qwen3-32b,  deepseek-ai/DeepSeek-R1', known)).toBe(
      'Qwen/Qwen3-32B, deepseek-ai/DeepSeek-R1',
    );
    // The same model twice is tried once.
    expect(accepted('fallback_models', 'Qwen/Qwen3-32B Qwen/Qwen3-32B', known)).toBe(
      'Qwen/Qwen3-32B',
    );
    expect(accepted('fallback_models', 'none', known)).toBe('');
    expect(accepted('fallback_models', 'OFF', known)).toBe('');
    expect(rejected('fallback_models', 'Qwen/Qwen3-32B, gpt-4', known)).toMatchObject({
      code: 'unknown_model',
      key: 'fallback_models',
      received: 'gpt-4',
    });
    expect(code('fallback_models', '', known)).toBe('empty');
    expect(modelList('a, b,c  d')).toEqual(['a', 'b', 'c', 'd']);
    expect(modelList('none')).toEqual([]);
    expect(modelList('')).toEqual([]);
  });

  it('image_model is not checked against the chat model list', () => {
    expect(accepted('image_model', 'FLUX.1-schnell', known)).toBe('FLUX.1-schnell');
    expect(code('image_model', '', known)).toBe('empty');
  });
});

describe('validateSetting: booleans and keys', () => {
  it('forget_admin_only takes booleans and the words for them', () => {
    expect(accepted('forget_admin_only', true)).toBe(true);
    expect(accepted('forget_admin_only', false)).toBe(false);
    expect(accepted('forget_admin_only', 'true')).toBe(true);
    expect(accepted('forget_admin_only', ' FALSE ')).toBe(false);
    expect(accepted('forget_admin_only', 'yes')).toBe(true);
    expect(accepted('forget_admin_only', 'off')).toBe(false);
    expect(code('forget_admin_only', 'maybe')).toBe('not_a_boolean');
    expect(code('forget_admin_only', 1)).toBe('not_a_boolean');
    expect(code('forget_admin_only', '')).toBe('empty');
  });

  it('rejects unknown keys, naming the real ones', () => {
    const error = rejected('seed', 1);
    expect(error.code).toBe('unknown_key');
    expect(error.key).toBe('seed');
    expect(error.allowed).toContain('temperature');
    expect(code('stream', true)).toBe('unknown_key');
    expect(code('', 1)).toBe('unknown_key');
  });

  it('returns the canonical key for another spelling', () => {
    expect(validateSetting('Top-P', '0.9')).toEqual({ ok: true, key: 'top_p', value: 0.9 });
  });
});

describe('validateChanges', () => {
  it('returns every value when all are valid', () => {
    expect(
      validateChanges(
        {
          temperature: '0.3',
          'max-tokens': 512,
          forget_admin_only: 'true',
          model: 'Qwen/Qwen3-32B',
        },
        { knownModels: ['Qwen/Qwen3-32B'] },
      ),
    ).toEqual({
      ok: true,
      changes: {
        temperature: 0.3,
        max_tokens: 512,
        forget_admin_only: true,
        model: 'Qwen/Qwen3-32B',
      },
    });
  });

  it('returns only errors, all of them, when any value is invalid', () => {
    const result = validateChanges(
      { temperature: 0.5, top_p: 0, max_tokens: 1.5, colour: 'red', model: 'nope' },
      { knownModels: ['Qwen/Qwen3-32B'] },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.key, e.code])).toEqual([
      ['top_p', 'out_of_range'],
      ['max_tokens', 'not_an_integer'],
      ['colour', 'unknown_key'],
      ['model', 'unknown_model'],
    ]);
    expect(result).not.toHaveProperty('changes');
  });

  it('accepts no changes at all: the caller says there is nothing to do', () => {
    expect(validateChanges({})).toEqual({ ok: true, changes: {} });
  });
});
