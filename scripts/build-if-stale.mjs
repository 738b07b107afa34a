#!/usr/bin/env node
/**
 * `npm start`'s first step: runs `npm run build` only when what the build
 * reads changed since the last build this script ran, so a start from a built
 * tree goes straight to the service.
 *
 * What the build reads: every file under src/, tsconfig.json,
 * tsconfig.build.json, package.json and package-lock.json (the compiler and
 * the type packages come from there). Each file's modification time and size
 * are recorded in dist/.build-stamp.json after a successful build; any
 * difference (a file edited, touched, added or removed) or a missing
 * dist/main.js rebuilds. The files of a removed source are removed from dist/
 * first; without a stamp, nothing in dist/ is known to be current, so dist/
 * is built from scratch.
 *
 * Plain Node on purpose: it runs before anything is built.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp.json');
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/** Every input, relative to the root (with `/`), with what identifies its version. */
function snapshot() {
  const files = {};
  const add = (relative) => {
    const stats = statSync(path.join(ROOT, relative), { throwIfNoEntry: false });
    if (stats?.isFile()) files[relative] = `${stats.mtimeMs}:${stats.size}`;
  };
  for (const name of INPUTS) add(name);
  for (const entry of readdirSync(path.join(ROOT, 'src'), { recursive: true })) {
    add(path.posix.join('src', String(entry).split(path.sep).join('/')));
  }
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function readStamp() {
  try {
    const stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
    return stamp && typeof stamp.files === 'object' ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/** What tsc and the build's copy make of a source file under src/. */
function outputsOf(source) {
  const relative = source.slice('src/'.length);
  if (!/\.ts$/.test(relative)) return [relative];
  const base = relative.replace(/\.ts$/, '');
  return ['.js', '.js.map', '.d.ts', '.d.ts.map'].map((ext) => base + ext);
}

const current = snapshot();
const stamp = readStamp();
const built = stamp?.files;
const changed = [];
const removed = [];
if (built) {
  for (const [file, version] of Object.entries(current))
    if (built[file] !== version) changed.push(file);
  for (const file of Object.keys(built)) if (!(file in current)) removed.push(file);
}
const mainMissing = !existsSync(path.join(DIST, 'main.js'));
const upToDate = changed.length === 0 && removed.length === 0 && !stamp?.failed;
if (built && !mainMissing && upToDate) process.exit(0);

const named = (files) =>
  files.length > 3
    ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`
    : files.join(', ');
const why = !built
  ? 'no record of an earlier build'
  : mainMissing
    ? 'dist/main.js is missing'
    : [
        changed.length > 0 ? `${named(changed)} changed` : '',
        removed.length > 0 ? `${named(removed)} removed` : '',
        stamp.failed ? 'the last build failed' : '',
      ]
        .filter(Boolean)
        .join('; ');
console.error(`chutes-bot: building dist/ (${why})`);

if (!built) {
  rmSync(DIST, { recursive: true, force: true });
} else {
  for (const source of removed.filter((file) => file.startsWith('src/')))
    for (const output of outputsOf(source)) rmSync(path.join(DIST, output), { force: true });
}

// The build script of package.json, through the npm that runs `npm start`.
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (result.error) {
  console.error(`chutes-bot: could not run npm run build: ${result.error.message}`);
  process.exit(1);
}
mkdirSync(DIST, { recursive: true });
// What was read before the build began: a file edited while it ran is built
// next time. A failed build (tsc still writes what it could) is built again
// next time, and the outputs of what it saw are known, to remove them.
const failed = result.status !== 0;
writeFileSync(`${STAMP}.tmp`, `${JSON.stringify({ files: current, failed }, null, 1)}\n`);
renameSync(`${STAMP}.tmp`, STAMP);
if (failed) process.exit(result.status ?? 1);
