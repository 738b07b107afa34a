/**
 * LOG_FORMAT: readable lines in a terminal, JSON lines otherwise (auto), or
 * either on request. The process is run until it stops on a taken PORT,
 * after one log line: the warning about a misspelt name in its `.env`.
 * The terminal is a real pseudo-terminal, made by util-linux's `script`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCORD_TOKEN, startStack } from './stack.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const WARNING =
  '.env sets CHUTES_API_KEI, which chutes-bot does not read: did you mean CHUTES_API_KEY?';
const SECRET = 'discord-token-never-leaks';
/** Colour and cursor sequences a terminal may get. */
const ANSI = new RegExp(String.raw`\u001b\[[0-9;]*[A-Za-z]`, 'g');
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

let taken: Server;
let env: Record<string, string>;
let cwd: string;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', () => resolve()));
  env = {
    PATH: process.env.PATH ?? '',
    DISCORD_TOKEN: SECRET,
    DISCORD_APPLICATION_ID: '1234',
    CHUTES_API_KEY: 'cpk_key_never_leaks',
    DATABASE_URL: 'postgres://127.0.0.1:1/none',
    PORT: String((taken.address() as AddressInfo).port),
  };
  cwd = mkdtempSync(path.join(tmpdir(), 'chutes-bot-logs-'));
  writeFileSync(path.join(cwd, '.env'), 'CHUTES_API_KEI=cpk_from_the_file\n');
});
afterAll(() => taken.close());

/** Runs the service to its exit: on a pipe, or (`tty`) on a pseudo-terminal. */
function run(
  extra: Record<string, string>,
  tty = false,
): Promise<{ code: number | null; lines: string[] }> {
  const [command, args] = tty
    ? ['script', ['-qec', `${process.execPath} ${MAIN}`, '/dev/null']]
    : [process.execPath, [MAIN]];
  return new Promise((resolve) => {
    const child = spawn(command as string, args as string[], { cwd, env: { ...env, ...extra } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => {
      const lines = output.replace(ANSI, '').split(/\r?\n/).filter(Boolean);
      resolve({ code, lines });
    });
  });
}

/** A JSON log record: an object (a pretty field's value alone, `0` or `"x"`, is not one). */
const isJson = (line: string) => {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
};

/** `[12:34:56.789] WARN: <message>`, and never a secret. */
function expectPretty(lines: string[]) {
  expect(lines).toContainEqual(expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: /));
  expect(lines.find((l) => l.includes('WARN: '))).toContain(WARNING);
  expect(lines.filter(isJson)).toEqual([]);
}

function expectJson(lines: string[]) {
  const warning = lines.filter(isJson).map((l) => JSON.parse(l) as { level: number; msg: string });
  expect(warning).toContainEqual(expect.objectContaining({ level: 40, msg: WARNING }));
}

describe('LOG_FORMAT', () => {
  it('auto on a pipe (a file, a process manager): JSON lines', async () => {
    const { code, lines } = await run({});
    expect(code).toBe(1);
    expectJson(lines);
  });

  it('pretty on a pipe: readable lines, no colours', async () => {
    const { code, lines } = await run({ LOG_FORMAT: 'pretty' });
    expect(code).toBe(1);
    expectPretty(lines);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('a value it does not know: the configuration error names it', async () => {
    const { code, lines } = await run({ LOG_FORMAT: 'colour' });
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain(
      'LOG_FORMAT: must be auto, pretty (readable lines) or json (one JSON object a line)',
    );
  });

  // `script` (util-linux) gives the process a terminal; without it there is no
  // other way here to make one (node-pty is not a dependency of this project).
  it.skipIf(!HAS_SCRIPT)('auto in a terminal: readable lines; json there: JSON', async () => {
    const terminal = await run({}, true);
    expect(terminal.code).toBe(1);
    expectPretty(terminal.lines);
    const forced = await run({ LOG_FORMAT: 'json' }, true);
    expect(forced.code).toBe(1);
    expectJson(forced.lines);
  });

  it('pretty shows the start-up summary one field a line', async () => {
    const stack = await startStack({ topology: 'redis' });
    try {
      await stack.service.stop();
      const child = spawn(process.execPath, [MAIN], {
        cwd: tmpdir(),
        env: { PATH: env.PATH, ...stack.env, LOG_FORMAT: 'pretty' },
      });
      let output = '';
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not up:\n${output}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          output += d.toString();
          // The summary's last field is written with it, in one piece.
          if (/INFO: chutes-bot is up\n(?: {4}.*\n)*? {4}health: .*\n/.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.kill('SIGTERM');
      await exited;
      expect(output).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: chutes-bot is up$/m);
      expect(output).toMatch(/^ {4}platforms: "Discord"$/m);
      expect(output).toMatch(/^ {4}discordInvite: "https:\/\/discord\.com\/oauth2\/authorize\?/m);
      expect(output).toMatch(/^ {4}startSeconds: \d+(\.\d+)?$/m);
      expect(output).not.toContain(String.fromCharCode(27));
      for (const line of output.split('\n').filter(Boolean)) expect(isJson(line), line).toBe(false);
      expect(output).not.toContain(DISCORD_TOKEN);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
