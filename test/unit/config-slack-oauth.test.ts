/** OAuth mode's variables (SLACK_CLIENT_ID and the rest): each problem its own sentence. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = {
  CHUTES_API_KEY: 'cpk_secret_value_123',
  DATABASE_URL: 'postgres://localhost/db',
};
const KEY = '0f'.repeat(32);
const oauth = {
  SLACK_CLIENT_ID: '1111.2222',
  SLACK_CLIENT_SECRET: 'client-secret',
  SLACK_STATE_SECRET: 'state-secret-of-some-length',
  SLACK_ENCRYPTION_KEY: KEY,
  SLACK_SIGNING_SECRET: 'signing-secret',
  PUBLIC_URL: 'https://bot.example.com/',
};

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('Slack OAuth mode in the configuration', () => {
  it('enables Slack for any number of workspaces with SLACK_CLIENT_ID and its companions', () => {
    const config = loadConfig({ ...base, ...oauth });
    expect(config.slack?.botToken).toBeUndefined();
    expect(config.slack?.oauth).toEqual({
      clientId: '1111.2222',
      clientSecret: 'client-secret',
      stateSecret: 'state-secret-of-some-length',
      encryptionKey: Buffer.from(KEY, 'hex'),
      publicUrl: 'https://bot.example.com',
    });
    expect(config.slack?.oauth?.encryptionKey).toHaveLength(32);
  });

  it('names each missing companion of SLACK_CLIENT_ID in a sentence of its own', () => {
    const found = problems({ ...base, SLACK_CLIENT_ID: '1111.2222' });
    for (const name of [
      'SLACK_CLIENT_SECRET',
      'SLACK_STATE_SECRET',
      'SLACK_ENCRYPTION_KEY',
      'SLACK_SIGNING_SECRET',
      'PUBLIC_URL',
    ])
      expect(found.filter((p) => p.startsWith(`${name}: `))).toHaveLength(1);
    expect(found.find((p) => p.startsWith('SLACK_ENCRYPTION_KEY'))).toContain(
      'openssl rand -hex 32',
    );
  });

  it('refuses a malformed encryption key and says how to make one', () => {
    for (const key of ['abc', 'zz'.repeat(32), '0f'.repeat(31), '0f'.repeat(33)]) {
      const found = problems({ ...base, ...oauth, SLACK_ENCRYPTION_KEY: key });
      expect(found).toEqual([
        'SLACK_ENCRYPTION_KEY: must be 32 bytes written as 64 hex digits: make one with `openssl rand -hex 32` and keep it: the stored bot tokens cannot be read without it',
      ]);
    }
  });

  it('refuses SLACK_BOT_TOKEN together with SLACK_CLIENT_ID', () => {
    const found = problems({ ...base, ...oauth, SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^SLACK_BOT_TOKEN: set SLACK_BOT_TOKEN \(one workspace\) or/);
  });

  it('refuses OAuth companions without SLACK_CLIENT_ID, and a PUBLIC_URL that is no URL', () => {
    expect(
      problems({
        ...base,
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 's',
        SLACK_CLIENT_SECRET: 'x',
      }),
    ).toEqual([
      'SLACK_CLIENT_ID: SLACK_CLIENT_SECRET is set, but installing the app through /slack/install needs SLACK_CLIENT_ID too (Basic Information → App Credentials)',
    ]);
    expect(problems({ ...base, ...oauth, PUBLIC_URL: 'bot.example.com' })).toEqual([
      'PUBLIC_URL: must be an http(s) URL',
    ]);
  });

  it('keeps single-workspace mode with SLACK_BOT_TOKEN alone', () => {
    const config = loadConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    expect(config.slack?.botToken).toBe('xoxb-1');
    expect(config.slack?.oauth).toBeUndefined();
  });
});
