import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const minimal = {
  CHUTES_API_KEY: 'cpk_secret_value_123',
  DATABASE_URL: 'postgres://localhost/db',
  REDIS_URL: 'redis://localhost:6379',
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

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config.role).toBe('all');
    expect(config.port).toBe(3000);
    expect(config.chutes.baseUrl).toBe('https://llm.chutes.ai/v1');
    expect(config.chutes.imageUrl).toBe('https://image.chutes.ai/generate');
    expect(config.discord).toBeUndefined();
    expect(config.defaults.temperature).toBe(0.7);
  });

  it('enables Discord with both variables and trims trailing slashes from URLs', () => {
    const config = loadConfig({
      ...minimal,
      DISCORD_TOKEN: 't',
      DISCORD_APPLICATION_ID: '1',
      DISCORD_API_URL: 'http://127.0.0.1:9/api/',
    });
    expect(config.discord).toEqual({
      token: 't',
      applicationId: '1',
      apiUrl: 'http://127.0.0.1:9/api',
    });
  });

  it('lists every problem at once', () => {
    const found = problems({
      DATABASE_URL: 'mysql://x',
      PORT: 'eighty',
      ROLE: 'boss',
      DISCORD_TOKEN: 'only-token',
      CHUTES_BASE_URL: 'not a url',
      DEFAULT_TEMPERATURE: '3',
    });
    const names = found.map((p) => p.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'DATABASE_URL',
        'REDIS_URL',
        'PORT',
        'ROLE',
        'DISCORD_APPLICATION_ID',
        'CHUTES_BASE_URL',
        'DEFAULT_TEMPERATURE',
        'CHUTES_API_KEY',
      ]),
    );
  });

  it('needs no Chutes key for a gateway, and never echoes values', () => {
    expect(() => loadConfig({ ...minimal, CHUTES_API_KEY: '', ROLE: 'gateway' })).not.toThrow();
    const found = problems({ ...minimal, REDIS_URL: 'cpk_secret_value_123' });
    expect(found.join('\n')).not.toContain('cpk_secret_value_123');
  });
});
