import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], {
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
  });
});
