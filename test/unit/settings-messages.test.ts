import { describe, expect, it } from 'vitest';
import {
  validateChanges,
  validateSetting,
  type SettingError,
} from '../../src/core/settings/index.js';
import {
  forgetAdminOnlyText,
  forgottenText,
  optionErrorText,
  settingErrorsText,
  settingsAdminOnlyText,
} from '../../src/core/user-messages.js';

function errorFor(key: string, raw: unknown, knownModels?: readonly string[]): SettingError {
  const result = validateSetting(key, raw, knownModels ? { knownModels } : {});
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

describe('optionErrorText', () => {
  it('says in one sentence what is allowed', () => {
    expect(optionErrorText(errorFor('temperature', 3))).toBe(
      'temperature must be a number from 0 to 2, not `3`.',
    );
    expect(optionErrorText(errorFor('temperature', 'abc'))).toBe(
      'temperature must be a number from 0 to 2, not `abc`.',
    );
    expect(optionErrorText(errorFor('max_tokens', 1.5))).toBe(
      'max_tokens must be a whole number from 1 to 131072, not `1.5`.',
    );
    expect(optionErrorText(errorFor('system_prompt', ' '))).toBe(
      'system_prompt needs a value: text of 1 to 4000 characters.',
    );
    expect(optionErrorText(errorFor('forget_admin_only', 'maybe'))).toBe(
      'forget_admin_only must be true or false, not `maybe`.',
    );
    expect(optionErrorText(errorFor('model', 'deepseek', ['deepseek-ai/DeepSeek-V3']))).toBe(
      '`deepseek` is not a Chutes model; model must be a model from the Chutes model list' +
        ' (did you mean `deepseek-ai/DeepSeek-V3`?).',
    );
    expect(optionErrorText(errorFor('colour', 'red'))).toMatch(
      /^There is no setting `colour`; the settings are one of model, fallback_models, temperature, .*daily_user_image_limit\.$/,
    );
  });

  it('has a sentence for every code', () => {
    const samples: [string, unknown][] = [
      ['nope', 1],
      ['temperature', ''],
      ['temperature', 'x'],
      ['max_tokens', 1.5],
      ['temperature', 9],
      ['system_prompt', 1],
      ['system_prompt', 'x'.repeat(4001)],
      ['model', 'a b'],
      ['forget_admin_only', 'x'],
    ];
    for (const [key, raw] of samples) {
      const text = optionErrorText(errorFor(key, raw));
      expect(text).toMatch(/\.$/);
      expect(text).not.toContain('undefined');
    }
  });

  it('lists every error of a refused set and says nothing changed', () => {
    const result = validateChanges({ temperature: 9, top_p: 0 });
    if (result.ok) throw new Error('expected errors');
    expect(settingErrorsText(result.errors)).toBe(
      [
        '⚠️ Nothing was changed:',
        '• temperature must be a number from 0 to 2, not `9`.',
        '• top_p must be a number greater than 0 and at most 1, not `0`.',
      ].join('\n'),
    );
  });
});

describe('permission and /forget texts', () => {
  it('name the platform’s admins', () => {
    expect(settingsAdminOnlyText('members with the Manage Server permission')).toBe(
      '🔒 Only members with the Manage Server permission may change the settings; everyone can see them with `/settings show`.',
    );
    expect(forgetAdminOnlyText('workspace admins and owners')).toBe(
      '🔒 Here only workspace admins and owners may use `/forget`.',
    );
  });

  it('counts forgotten messages', () => {
    expect(forgottenText(12)).toBe('🧹 Forgot the history of this channel (12 messages).');
    expect(forgottenText(1)).toBe('🧹 Forgot the history of this channel (1 message).');
    expect(forgottenText(0)).toBe('There was no stored history in this channel to forget.');
  });
});
