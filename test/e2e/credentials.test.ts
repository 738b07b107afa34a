/**
 * Wrong credentials, as a newcomer types them: each stops start-up (or, for
 * the signing secret and the Chutes key, is reported while running) with one
 * line naming the variable and how to fix it, and no stack or client dumps.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeChutes } from '../fakes/chutes/index.js';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { startFakeSlack } from '../fakes/slack/index.js';
import { createTestDatabase } from '../support/pg.js';
import { REDIS_URL, uniquePrefix } from '../support/redis.js';
import { runUntilExit } from './service-process.js';
import { APP_ID, BOT, CHUTES_KEY, DISCORD_TOKEN, SLACK, startStack, type Stack } from './stack.js';

interface Run {
  readonly code: number | null;
  readonly output: string;
  readonly lines: string[];
  readonly ms: number;
}

/** Runs the built service until it exits (or `timeoutMs`, then SIGKILL). */
async function run(env: Record<string, string>, timeoutMs = 40_000): Promise<Run> {
  const started = Date.now();
  const { code, output } = await runUntilExit(env, timeoutMs);
  return { code, output, lines: output.split('\n').filter(Boolean), ms: Date.now() - started };
}

/** Lines at level ≥ 50 (pino JSON) or not JSON at all (console.error). */
function loudLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    try {
      return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
    } catch {
      return true;
    }
  });
}

/** One clear line, a non-zero exit, no stack trace and no client dumps. */
function expectOneLine(result: Run, variable: RegExp): void {
  expect(result.code, result.output).not.toBe(0);
  expect(result.code, result.output).not.toBeNull();
  const loud = loudLines(result.lines);
  expect(loud.length, result.output).toBeLessThanOrEqual(2);
  const last = loud.at(-1) ?? '';
  expect(last, result.output).toMatch(/^chutes-bot failed to start: /);
  expect(last).toMatch(variable);
  expect(result.output).not.toMatch(/^ {4}at /m);
  // A healthy start-up and stop writes a dozen lines; a dump writes hundreds.
  expect(result.lines.length, result.output).toBeLessThan(25);
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The stores and a fake Chutes a failing start-up gets. */
async function baseEnv(): Promise<Record<string, string>> {
  const chutes = await startFakeChutes({ apiKey: CHUTES_KEY, models: ['model-a'] });
  cleanups.push(() => chutes.close());
  const database = await createTestDatabase({ migrate: false });
  cleanups.push(() => database.drop());
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chutes-bot-data-'));
  await chmod(dataDir, 0o755);
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  return {
    CHUTES_API_KEY: CHUTES_KEY,
    CHUTES_BASE_URL: chutes.baseUrl,
    CHUTES_IMAGE_URL: chutes.imageUrl,
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: uniquePrefix('cred'),
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'info',
  };
}

async function discordEnv(
  privilegedIntents?: Parameters<typeof startFakeDiscord>[0]['privilegedIntents'],
): Promise<Record<string, string>> {
  const discord = await startFakeDiscord({
    token: DISCORD_TOKEN,
    applicationId: APP_ID,
    botUser: BOT,
    ...(privilegedIntents ? { privilegedIntents } : {}),
  });
  cleanups.push(() => discord.close());
  return {
    ...(await baseEnv()),
    DISCORD_TOKEN,
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_API_URL: discord.apiUrl,
  };
}

async function slackEnv(): Promise<Record<string, string>> {
  const slack = await startFakeSlack({
    botToken: SLACK.botToken,
    signingSecret: SLACK.signingSecret,
    appToken: 'xapp-the-right-app-token',
    teamId: SLACK.team,
    botUserId: SLACK.bot,
  });
  cleanups.push(() => slack.close());
  return {
    ...(await baseEnv()),
    SLACK_BOT_TOKEN: SLACK.botToken,
    SLACK_SIGNING_SECRET: SLACK.signingSecret,
    SLACK_API_URL: slack.apiUrl.replace(/\/$/, ''),
  };
}

describe('wrong credentials', () => {
  it('a refused DISCORD_TOKEN stops start-up with one line naming it', async () => {
    const result = await run({ ...(await discordEnv()), DISCORD_TOKEN: 'not.the.token' });
    expectOneLine(result, /DISCORD_TOKEN was refused by Discord \(401\).*Reset Token/);
  });

  it('a wrong DISCORD_APPLICATION_ID stops start-up with one line naming it', async () => {
    const result = await run({
      ...(await discordEnv()),
      DISCORD_APPLICATION_ID: '900000000000000099',
    });
    expectOneLine(result, /DISCORD_APPLICATION_ID .*Application ID/);
    expect(result.output).not.toContain('DISCORD_TOKEN was refused');
  });

  it('a wrong DISCORD_APPLICATION_ID with the embedded Postgres: one line, no pg dumps', async () => {
    // What a newcomer runs: neither DATABASE_URL nor REDIS_URL.
    const env = await discordEnv();
    delete env.REDIS_URL;
    delete env.DATABASE_URL;
    const result = await run({ ...env, DISCORD_APPLICATION_ID: '900000000000000099' }, 90_000);
    expectOneLine(result, /DISCORD_APPLICATION_ID .*Application ID/);
  }, 120_000);

  it('a Message Content intent switched off in the portal stops start-up with one line naming DISCORD_MESSAGE_CONTENT', async () => {
    const result = await run(await discordEnv({ messageContent: false }));
    expectOneLine(
      result,
      /^chutes-bot failed to start: DISCORD_MESSAGE_CONTENT is on but .*4014.*Privileged Gateway Intents.*DISCORD_MESSAGE_CONTENT=false/,
    );
  });

  it('a refused SLACK_BOT_TOKEN stops start-up with one line naming it', async () => {
    const result = await run({ ...(await slackEnv()), SLACK_BOT_TOKEN: 'xoxb-not-the-token' });
    expectOneLine(result, /SLACK_BOT_TOKEN was refused by Slack \(invalid_auth\)/);
  });

  it('a refused SLACK_APP_TOKEN stops start-up at once with one line naming it', async () => {
    const env = await slackEnv();
    delete env.SLACK_SIGNING_SECRET;
    const result = await run({ ...env, SLACK_APP_TOKEN: 'xapp-not-the-token' });
    expectOneLine(result, /SLACK_APP_TOKEN was refused by Slack \(invalid_auth\)/);
    expect(result.ms).toBeLessThan(15_000);
  });
});

describe('wrong credentials found while running', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('names SLACK_SIGNING_SECRET once a minute when requests fail their signature check', async () => {
    stack = await startStack({
      discord: false,
      slack: {},
      env: { SLACK_SIGNING_SECRET: 'not-the-signing-secret-of-this-app' },
    });
    const sent = [1, 2, 3].map((n) =>
      stack!.slack.sendMention({ channel: SLACK.channel(1), user: SLACK.ann.id, text: `q${n}` }),
    );
    for (const { delivery } of sent) expect((await delivery).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const named = stack.service.logs.filter((l) => /SLACK_SIGNING_SECRET/.test(l.msg));
    expect(named).toHaveLength(1);
    expect(named[0]!.msg).toMatch(
      /a request to \/slack\/events failed its signature check: check SLACK_SIGNING_SECRET/,
    );
    // No line per request.
    expect(stack.service.logs.filter((l) => /signature mismatch/.test(l.msg))).toEqual([]);
  });

  it('checks CHUTES_API_KEY at start: a warning and a failing `chutes` check, and keeps running', async () => {
    stack = await startStack({ env: { CHUTES_API_KEY: 'cpk_not_the_key_of_this_account' } });
    const warning = await stack.service.waitForLog((l) => /CHUTES_API_KEY/.test(l.msg), 10_000);
    expect(warning.level).toBe(40);
    const health = await fetch(`http://127.0.0.1:${stack.service.port}/healthz`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { checks: Record<string, string> };
    expect(body.checks.chutes).toMatch(/CHUTES_API_KEY/);
    expect(stack.service.running).toBe(true);
  });

  it('a right CHUTES_API_KEY passes the `chutes` check', async () => {
    stack = await startStack();
    const health = await fetch(`http://127.0.0.1:${stack.service.port}/healthz`);
    const body = (await health.json()) as { checks: Record<string, string> };
    expect(body.checks.chutes).toBe('ok');
    expect(health.status).toBe(200);
  });
});
