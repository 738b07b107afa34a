/**
 * `npm start` builds only when what the build reads changed. Run in a copy
 * of the project (its own dist/; node_modules linked), so touching a source
 * here never rebuilds the dist/ the other tests start.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COPIED = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'src',
  'scripts',
];

/** `npm start` in `cwd` with no configuration: it ends at the configuration error. */
function npmStart(cwd: string): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['start'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output, ms: Date.now() - started }));
  });
}

/** What a run of tsc by `npm start` shows: npm's line for the build script. */
const TSC = /> tsc -p tsconfig\.build\.json/;
const CONFIG_ERROR = 'Invalid configuration (2 problems)';

describe('npm start builds only when the sources changed', () => {
  let project: string;
  const mtime = (file: string) => statSync(path.join(project, file)).mtimeMs;

  beforeAll(() => {
    project = mkdtempSync(path.join(tmpdir(), 'chutes-bot-project-'));
    for (const name of COPIED)
      cpSync(path.join(ROOT, name), path.join(project, name), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('builds the first time, and says why', async () => {
    const first = await npmStart(project);
    expect(first.output).toContain('chutes-bot: building dist/ (no record of an earlier build)');
    expect(first.output).toMatch(TSC);
    expect(first.output).toContain(CONFIG_ERROR);
    expect(first.code).toBe(1);
    expect(existsSync(path.join(project, 'dist/main.js'))).toBe(true);
    expect(existsSync(path.join(project, 'dist/queue/lua'))).toBe(true);
  }, 300_000);

  it('starts at once from a built tree: no tsc, dist/ untouched', async () => {
    const before = { main: mtime('dist/main.js'), stamp: mtime('dist/.build-stamp.json') };
    const again = await npmStart(project);
    expect(again.output).not.toContain('building');
    expect(again.output).not.toMatch(TSC);
    expect(again.output).toContain(CONFIG_ERROR);
    expect(again.code).toBe(1);
    expect({ main: mtime('dist/main.js'), stamp: mtime('dist/.build-stamp.json') }).toEqual(before);
  }, 120_000);

  it('rebuilds after a source is touched or added', async () => {
    const log = path.join(project, 'src/log.ts');
    const later = new Date(Date.now() + 5_000);
    utimesSync(log, later, later);
    writeFileSync(path.join(project, 'src/added.ts'), 'export const added = 1;\n');
    const before = mtime('dist/.build-stamp.json');
    const touched = await npmStart(project);
    expect(touched.output).toContain(
      'chutes-bot: building dist/ (src/added.ts, src/log.ts changed)',
    );
    expect(touched.output).toMatch(TSC);
    expect(touched.output).toContain(CONFIG_ERROR);
    expect(touched.code).toBe(1);
    // tsc leaves an output whose text is the same as it was; the build is recorded anew.
    expect(mtime('dist/.build-stamp.json')).toBeGreaterThan(before);
    expect(existsSync(path.join(project, 'dist/added.js'))).toBe(true);
  }, 300_000);

  it("drops a removed source's output, and builds again after a failed build", async () => {
    rmSync(path.join(project, 'src/added.ts'));
    const broken = path.join(project, 'src/broken.ts');
    writeFileSync(broken, 'export const broken: number = "not a number";\n');
    const failed = await npmStart(project);
    expect(failed.output).toContain(
      'chutes-bot: building dist/ (src/broken.ts changed; src/added.ts removed)',
    );
    expect(failed.output).toContain('src/broken.ts');
    expect(failed.output).not.toContain(CONFIG_ERROR);
    expect(failed.code).not.toBe(0);
    expect(existsSync(path.join(project, 'dist/added.js'))).toBe(false);
    expect(existsSync(path.join(project, 'dist/added.js.map'))).toBe(false);

    // Back to the sources of the last good build: built again all the same.
    rmSync(broken);
    const fixed = await npmStart(project);
    expect(fixed.output).toContain(
      'chutes-bot: building dist/ (src/broken.ts removed; the last build failed)',
    );
    expect(fixed.output).toMatch(TSC);
    expect(fixed.output).toContain(CONFIG_ERROR);
    expect(existsSync(path.join(project, 'dist/broken.js'))).toBe(false);

    const settled = await npmStart(project);
    expect(settled.output).not.toMatch(TSC);
    expect(settled.output).toContain(CONFIG_ERROR);
  }, 300_000);
});
