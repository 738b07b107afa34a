import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, unknownVariables } from '../../src/config.js';

const minimal = {
  CHUTES_API_KEY: 'cpk_secret_value_123',
  DATABASE_URL: 'postgres://localhost/db',
  REDIS_URL: 'redis://localhost:6379',
  DISCORD_TOKEN: 'token',
  DISCORD_APPLICATION_ID: '1',
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
    expect(config.discord?.apiUrl).toBe('https://discord.com/api');
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
      messageContent: true,
      shards: 'auto',
    });
  });

  it('reads SHARD_LEASE_MS, renewing leases every fifth of it', () => {
    expect(loadConfig(minimal)).toMatchObject({ shardLeaseMs: 10_000, shardTickMs: 2_000 });
    expect(loadConfig({ ...minimal, SHARD_LEASE_MS: '2000' })).toMatchObject({
      shardLeaseMs: 2_000,
      shardTickMs: 400,
    });
    expect(problems({ ...minimal, SHARD_LEASE_MS: '500' })).toEqual([
      'SHARD_LEASE_MS: must be a whole number from 1000 to 60000',
    ]);
  });

  it('reads DISCORD_SHARDS as auto or a positive whole number, and names anything else', () => {
    const discord = { ...minimal, DISCORD_TOKEN: 't', DISCORD_APPLICATION_ID: '1' };
    expect(loadConfig({ ...discord, DISCORD_SHARDS: ' 4 ' }).discord?.shards).toBe(4);
    expect(loadConfig({ ...discord, DISCORD_SHARDS: 'AUTO' }).discord?.shards).toBe('auto');
    for (const bad of ['0', '-2', '1.5', 'many'])
      expect(problems({ ...discord, DISCORD_SHARDS: bad })).toEqual([
        'DISCORD_SHARDS: must be auto or a whole number of shards from 1 to 99999',
      ]);
  });

  it('reads DISCORD_MESSAGE_CONTENT as true or false, and names anything else', () => {
    const discord = { ...minimal, DISCORD_TOKEN: 't', DISCORD_APPLICATION_ID: '1' };
    expect(
      loadConfig({ ...discord, DISCORD_MESSAGE_CONTENT: 'false' }).discord?.messageContent,
    ).toBe(false);
    expect(
      loadConfig({ ...discord, DISCORD_MESSAGE_CONTENT: ' Off ' }).discord?.messageContent,
    ).toBe(false);
    expect(
      loadConfig({ ...discord, DISCORD_MESSAGE_CONTENT: 'TRUE' }).discord?.messageContent,
    ).toBe(true);
    expect(problems({ ...discord, DISCORD_MESSAGE_CONTENT: 'maybe' })).toEqual([
      'DISCORD_MESSAGE_CONTENT: must be true or false',
    ]);
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
        'PORT',
        'ROLE',
        'DISCORD_APPLICATION_ID',
        'CHUTES_BASE_URL',
        'DEFAULT_TEMPERATURE',
        'CHUTES_API_KEY',
      ]),
    );
  });

  it('needs neither DATABASE_URL nor REDIS_URL: the data then lives under DATA_DIR', () => {
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...tokensOnly } = minimal;
    const config = loadConfig(tokensOnly);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.dataDir).toBe('./data');
    expect(problems({ ...tokensOnly, REDIS_URL: 'http://x' }).map((p) => p.split(':')[0])).toEqual([
      'REDIS_URL',
    ]);
  });

  it('treats an empty value as unset, so the default applies', () => {
    const config = loadConfig({ ...minimal, PORT: '', DEFAULT_TEMPERATURE: ' ', ROLE: '' });
    expect(config.port).toBe(3000);
    expect(config.defaults.temperature).toBe(0.7);
    expect(config.role).toBe('all');
  });

  it('needs a platform, and a stalled check that fits the lock', () => {
    const { DISCORD_TOKEN: _t, DISCORD_APPLICATION_ID: _a, ...noPlatform } = minimal;
    expect(problems(noPlatform).join('\n')).toContain('no platform is configured');
    expect(
      problems({ ...minimal, JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '600000' })[0],
    ).toMatch(/^JOB_STALLED_INTERVAL_MS/);
  });

  it('enables Slack alone with a bot token and a signing secret, or an app token', () => {
    const { DISCORD_TOKEN: _t, DISCORD_APPLICATION_ID: _a, ...noDiscord } = minimal;
    const http = loadConfig({ ...noDiscord, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    expect(http.discord).toBeUndefined();
    expect(http.slack).toMatchObject({ botToken: 'xoxb-1', apiUrl: 'https://slack.com/api' });
    const socket = loadConfig({
      ...noDiscord,
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
    });
    expect(socket.slack?.appToken).toBe('xapp-1');
    // A worker only answers: it needs neither.
    expect(() =>
      loadConfig({ ...noDiscord, SLACK_BOT_TOKEN: 'xoxb-1', ROLE: 'worker' }),
    ).not.toThrow();
    expect(problems({ ...noDiscord, SLACK_BOT_TOKEN: 'xoxb-1' })[0]).toMatch(
      /^SLACK_SIGNING_SECRET/,
    );
    expect(problems({ ...noDiscord, SLACK_SIGNING_SECRET: 's' }).join('\n')).toMatch(
      /SLACK_BOT_TOKEN: SLACK_SIGNING_SECRET is set/,
    );
    expect(
      problems({ ...noDiscord, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' })[0],
    ).toMatch(/^SLACK_APP_TOKEN: must be an app-level token/);
  });

  it('needs no Chutes key for a gateway, and never echoes values', () => {
    expect(() => loadConfig({ ...minimal, CHUTES_API_KEY: '', ROLE: 'gateway' })).not.toThrow();
    const found = problems({ ...minimal, REDIS_URL: 'cpk_secret_value_123' });
    expect(found.join('\n')).not.toContain('cpk_secret_value_123');
  });
});

describe('what a newcomer gets wrong', () => {
  const base = { CHUTES_API_KEY: 'k', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };
  const problemsOf = (extra: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...extra });
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };

  it('says the range of a number out of it, not only that it must be a number', () => {
    expect(problemsOf({ PORT: '70000' })).toEqual(['PORT: must be a whole number from 0 to 65535']);
    expect(problemsOf({ DEFAULT_TEMPERATURE: '3' })).toEqual([
      'DEFAULT_TEMPERATURE: must be a number from 0 to 2',
    ]);
    expect(problemsOf({ JOB_ATTEMPTS: '50' })).toEqual([
      'JOB_ATTEMPTS: must be a whole number from 1 to 20',
    ]);
    expect(problemsOf({ HISTORY_MAX_MESSAGES: 'many' })).toEqual([
      'HISTORY_MAX_MESSAGES: must be a whole number from 0 to 1000',
    ]);
  });

  it("names the variable a misspelt one was probably meant to be, and leaves others' alone", () => {
    expect(
      unknownVariables([
        'CHUTES_BASE_ULR',
        'DISCROD_TOKEN',
        'chutes_api_key',
        'PORT',
        'COMPOSE_FILE',
      ]),
    ).toEqual([
      { name: 'CHUTES_BASE_ULR', suggestion: 'CHUTES_BASE_URL' },
      { name: 'DISCROD_TOKEN', suggestion: 'DISCORD_TOKEN' },
      { name: 'chutes_api_key', suggestion: 'CHUTES_API_KEY' },
      { name: 'COMPOSE_FILE' },
    ]);
  });
});
