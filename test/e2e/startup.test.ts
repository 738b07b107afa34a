import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

function run(
  env: Record<string, string>,
  dotEnv?: string,
): Promise<{ code: number | null; output: string }> {
  // A directory of its own: a developer's own `.env` must not leak into the test.
  const cwd = mkdtempSync(join(tmpdir(), 'chutes-bot-start-'));
  if (dotEnv !== undefined) writeFileSync(join(cwd, '.env'), dotEnv);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('start-up', () => {
  it('refuses a bad environment with one message naming every problem, and echoes no value', async () => {
    const { code, output } = await run({
      DISCORD_TOKEN: 'secret-discord-token-value',
      PORT: 'eighty',
      REDIS_URL: 'http://not-redis',
      DATABASE_URL: 'mysql://not-postgres',
    });
    expect(code).toBe(1);
    for (const name of [
      'DATABASE_URL',
      'REDIS_URL',
      'PORT',
      'DISCORD_APPLICATION_ID',
      'CHUTES_API_KEY',
    ]) {
      expect(output).toContain(name);
    }
    expect(output).toContain('Invalid configuration (5 problems)');
    expect(output).not.toContain('secret-discord-token-value');
    expect(output).not.toContain('http://not-redis');
    expect(output).not.toContain('mysql://not-postgres');
  });

  it('reads a .env in the working directory, and the real environment wins over it', async () => {
    const { code, output } = await run(
      { DATABASE_URL: 'mysql://from-the-environment' },
      [
        '# what a newcomer copies from .env.example and fills in',
        'DISCORD_TOKEN=file-discord-token-value',
        'DISCORD_APPLICATION_ID=1234',
        'CHUTES_API_KEY=cpk_from_the_file',
        'DATABASE_URL=postgres://from-the-file/db',
        'REDIS_URL=redis://127.0.0.1:6379',
        'PORT=eighty',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
    // Only what is still wrong: the file's PORT, and the environment's DATABASE_URL over the file's.
    expect(output).toContain('Invalid configuration (2 problems)');
    expect(output).toContain('PORT');
    expect(output).toContain('DATABASE_URL: must be a postgres:// URL');
    for (const secret of ['file-discord-token-value', 'cpk_from_the_file', 'mysql://'])
      expect(output).not.toContain(secret);
  });

  it('names the variable a misspelt one in .env was meant to be', async () => {
    const { code, output } = await run(
      {},
      [
        'DISCORD_TOKEN=file-discord-token-value',
        'DISCORD_APPLICATION_ID=1234',
        'CHUTES_API_KEI=cpk_from_the_file',
        'CHUTES_BASE_ULR=https://llm.example/v1',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
    expect(output).toContain('CHUTES_API_KEY: is required');
    expect(output).toContain(
      '.env sets CHUTES_API_KEI, which chutes-bot does not read: did you mean CHUTES_API_KEY?',
    );
    expect(output).toContain(
      '.env sets CHUTES_BASE_ULR, which chutes-bot does not read: did you mean CHUTES_BASE_URL?',
    );
    expect(output).not.toContain('cpk_from_the_file');
  });
});
