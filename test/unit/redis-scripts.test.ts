/**
 * The Redis scripts' files: each one listed is there and documents its keys
 * and arguments at its top, and the build ships them next to the compiled
 * module (tsc does not copy them; `npm run build` does).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCRIPT_FILES } from '../../src/queue/redis-scripts.js';

const root = new URL('../../', import.meta.url);
const source = new URL('src/queue/lua/', root);
const built = new URL('dist/queue/lua/', root);

describe('the Redis scripts', () => {
  it('are the .lua files in src/queue/lua, each with its KEYS and ARGV documented at its top', () => {
    expect([...SCRIPT_FILES].sort()).toEqual(
      readdirSync(source)
        .filter((f) => f.endsWith('.lua'))
        .sort(),
    );
    for (const file of SCRIPT_FILES) {
      const header = /^--\[\[\n([\s\S]*?)\n\]\]\n/.exec(
        readFileSync(new URL(file, source), 'utf8'),
      );
      expect(header, `${file} starts with a --[[ ... ]] header`).not.toBeNull();
      for (const part of ['Input:', 'KEYS[', 'ARGV[', 'Output:'])
        expect(header![1], `${file}'s header names ${part}`).toContain(part);
    }
  });

  it('are shipped in dist/ by the build, as they are in src/', () => {
    if (!existsSync(new URL('dist/main.js', root)))
      throw new Error('dist/main.js is missing: run `npm run build` (npm test does)');
    for (const file of SCRIPT_FILES) {
      const copy = new URL(file, built);
      expect(existsSync(copy), `dist/queue/lua/${file} (npm run build copies it)`).toBe(true);
      expect(readFileSync(copy, 'utf8'), `dist/queue/lua/${file} is current`).toBe(
        readFileSync(new URL(file, source), 'utf8'),
      );
    }
  });
});
