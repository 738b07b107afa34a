import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

function run(
  env: Record<string, string>,
  dotEnv?: string,
  // A directory of its own: a developer's own `.env` must not leak into the test.
  cwd = mkdtempSync(join(tmpdir(), 'chutes-bot-start-')),
): Promise<{ code: number | null; output: string }> {
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

  it('takes its port before anything else, and says another chutes-bot may hold it', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', () => resolve()));
    const port = (taken.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const { code, output } = await run({
        PORT: String(port),
        DISCORD_TOKEN: 'token',
        DISCORD_APPLICATION_ID: '1234',
        CHUTES_API_KEY: 'key',
        // Nothing answers here: a process that reached for its stores first would wait for them.
        DATABASE_URL: 'postgres://127.0.0.1:1/none',
      });
      expect(code).toBe(1);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(output).toContain(
        `PORT ${port} is already in use: another chutes-bot may be running there`,
      );
      expect(output).not.toContain('waiting for postgres');
    } finally {
      taken.close();
    }
  });

  describe('names DATA_DIR or .env when they are not what they must be', () => {
    const platform = {
      DISCORD_TOKEN: 'token',
      DISCORD_APPLICATION_ID: '1234',
      CHUTES_API_KEY: 'k',
    };
    const scratch = () => mkdtempSync(join(tmpdir(), 'chutes-bot-data-'));

    it('a file given as DATA_DIR', async () => {
      const file = join(scratch(), 'data');
      writeFileSync(file, 'not a directory');
      const { code, output } = await run({ ...platform, PORT: '0', DATA_DIR: file });
      expect(code).toBe(1);
      expect(output).toContain(`DATA_DIR ${file} is a file, not a directory`);
      expect(output).not.toMatch(/ENOTDIR.*embedded-postgres\.json/);
    });

    it('a DATA_DIR that cannot be created', async () => {
      const file = join(scratch(), 'file');
      writeFileSync(file, '');
      const dataDir = join(file, 'data');
      const { code, output } = await run({ ...platform, PORT: '0', DATA_DIR: dataDir });
      expect(code).toBe(1);
      expect(output).toContain(`DATA_DIR ${dataDir} cannot be created or written by this user`);
    });

    it('a .env that cannot be read', async () => {
      const cwd = scratch();
      mkdirSync(join(cwd, '.env'));
      const { code, output } = await run({ ...platform }, undefined, cwd);
      expect(code).toBe(1);
      expect(output).toMatch(
        /\.env in .* cannot be read \(not a file\): make it a file this user may read/,
      );
    });
  });
});
