/**
 * The PostgreSQL the service runs itself (src/db/embedded.ts). One data dir is
 * initialised by the first test and reused by the others, in order. Other
 * processes (joiners, an owner that gets SIGKILLed) are child node processes
 * running the TypeScript source through tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import exitHook from 'async-exit-hook';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MODULE = pathToFileURL(path.join(ROOT, 'src/db/embedded.ts')).href;
const asRoot = process.getuid?.() === 0;

let dir: string;
let dataDir: string;
const opened: EmbeddedPostgres[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'chutes-embedded-'));
  // mkdtemp makes it 0700; as root, postgres runs as the user `postgres`, which must get through.
  await chmod(dir, 0o755);
  dataDir = path.join(dir, 'data');
});

// A failing test stops what it opened here, so the next one starts from a stopped cluster.
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(opened.splice(0).map((db) => db.stop()));
});

afterAll(async () => {
  // A failed test may leave a postgres behind (a SIGKILLed owner's).
  const pid = await postmasterPid();
  if (pid !== undefined && alive(pid) && (await cmdline(pid)).includes(dataDir)) {
    process.kill(pid, 'SIGINT');
    await until(() => !alive(pid), 15_000);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function open(logs?: string[]): Promise<EmbeddedPostgres> {
  const log = logs
    ? pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) })
    : pino({ level: 'silent' });
  return openEmbeddedPostgres({ dataDir, log }).then((db) => {
    opened.push(db);
    return db;
  });
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

interface Opened {
  readonly url: string;
  readonly owned: boolean;
}

/** Another process that opens the same data dir, reports the result and stays up. */
function openInChild(): { child: ChildProcess; result: Promise<Opened> } {
  const script = `
    const { openEmbeddedPostgres } = await import(${JSON.stringify(MODULE)});
    const { pino } = await import('pino');
    const db = await openEmbeddedPostgres({ dataDir: process.env.DATA_DIR, log: pino({ level: 'silent' }) });
    process.stdout.write(JSON.stringify({ url: db.url, owned: db.owned }) + '\\n');
    process.on('SIGTERM', () => db.stop().then(() => process.exit(0)));
    setInterval(() => {}, 1 << 30);
  `;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script],
    { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
  const result = new Promise<Opened>((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => {
      stdout += data.toString('utf8');
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as Opened);
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}): ${stderr}`)));
  });
  return { child, result };
}

async function postmasterPid(): Promise<number | undefined> {
  const text = await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(
    () => '',
  );
  const pid = Number(text.split('\n')[0]);
  return pid > 0 ? pid : undefined;
}

async function cmdline(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

async function stateFile(): Promise<{ password: string; ownerPid: number | null }> {
  return JSON.parse(await readFile(path.join(dataDir, 'embedded-postgres.json'), 'utf8')) as {
    password: string;
    ownerPid: number | null;
  };
}

describe('openEmbeddedPostgres', () => {
  it('initialises once, keeps data across restarts, on a port of its own, as a non-root user', async () => {
    const logs: string[] = [];
    const first = await open(logs);
    expect(first.owned).toBe(true);
    const url = new URL(first.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/chutes_bot');
    // The machine's own Postgres holds 5432.
    expect(url.port).not.toBe('5432');

    await query(first.url, 'CREATE TABLE kept (v text)');
    await query(first.url, "INSERT INTO kept VALUES ('still here')");
    expect(
      await query(
        first.url,
        `SELECT current_setting('listen_addresses') AS listen,
                current_setting('unix_socket_directories') AS sockets`,
      ),
    ).toEqual([{ listen: '127.0.0.1', sockets: '' }]);
    // Postgres refuses to run as root: as root it must have been handed to another user.
    const postmaster = await postmasterPid();
    const status = await readFile(`/proc/${postmaster}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    expect(uid).toBeGreaterThan(0);

    // The credentials file: the password stays between the owner and the file.
    const file = path.join(dataDir, 'embedded-postgres.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const state = await stateFile();
    expect(state.ownerPid).toBe(process.pid);
    expect(decodeURIComponent(url.password)).toBe(state.password);

    await first.stop();
    await first.stop(); // idempotent
    expect((await stateFile()).ownerPid).toBeNull();
    await expect(query(first.url, 'SELECT 1')).rejects.toThrow();

    const second = await open(logs);
    expect(second.owned).toBe(true);
    // Same port (it was still free), same credentials.
    expect(second.url).toBe(first.url);
    expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    await second.stop();

    const messages = logs.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages.filter((m) => m.startsWith('initialising'))).toHaveLength(1);
    expect(messages.filter((m) => m === 'embedded PostgreSQL is up')).toHaveLength(2);
    expect(logs.some((l) => l.includes('ready to accept connections'))).toBe(true);
    expect(logs.join('\n')).not.toContain(state.password);
  }, 60_000);

  it("leaves no async-exit-hook handler behind, so SIGTERM/SIGINT reach the service's own shutdown", async () => {
    const db = await open();
    // async-exit-hook's listeners all read its `eventFilters`; prove the check can see one.
    const fromExitHook = (fn: (...args: never[]) => unknown) => String(fn).includes('eventFilters');
    const hooks = exitHook as unknown as { hookEvent(event: string): void };
    hooks.hookEvent('SIGUSR2');
    expect(process.listeners('SIGUSR2').some(fromExitHook)).toBe(true);
    exitHook.unhookEvent('SIGUSR2');

    expect(exitHook.hookedEvents()).toEqual([]);
    for (const event of ['SIGTERM', 'SIGINT', 'SIGHUP', 'beforeExit', 'message', 'exit'] as const) {
      expect(process.listeners(event as 'SIGTERM').some(fromExitHook), event).toBe(false);
    }
    await db.stop();
  });

  it('lets a process started later join the running owner (and a second call in the owner joins too)', async () => {
    const owner = await open();
    expect(owner.owned).toBe(true);

    const { child, result } = openInChild();
    const joined = await result;
    expect(joined).toEqual({ url: owner.url, owned: false });
    expect(await query(joined.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    // The joiner stopping (SIGTERM → stop() → exit) leaves the owner's cluster alone.
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));

    const again = await open();
    expect(again).toMatchObject({ url: owner.url, owned: false });
    await again.stop();
    expect(await query(owner.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    expect((await stateFile()).ownerPid).toBe(process.pid);
    await owner.stop();
  }, 60_000);

  it('takes over from an owner killed with SIGKILL, whose postgres outlived it', async () => {
    const { child, result } = openInChild();
    expect((await result).owned).toBe(true);
    const leftover = await postmasterPid();
    expect(leftover).toBeDefined();

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(alive(leftover!)).toBe(true);

    const recovered = await open();
    expect(recovered.owned).toBe(true);
    expect(alive(leftover!)).toBe(false);
    expect(await postmasterPid()).not.toBe(leftover);
    expect(await query(recovered.url, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    await recovered.stop();
  }, 60_000);

  // Only root hands postgres to another user; a normal user's postgres runs as that user.
  it.skipIf(!asRoot)(
    'as root, keeps the cluster under /var/lib/chutes-bot when the postgres user cannot reach DATA_DIR, and says so',
    async () => {
      const closed = await mkdtemp(path.join(tmpdir(), 'chutes-closed-')); // 0700
      const privateData = path.join(closed, 'data');
      const logs: string[] = [];
      const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
      let clusterDir: string | undefined;
      try {
        const db = await openEmbeddedPostgres({ dataDir: privateData, log });
        expect(db.owned).toBe(true);
        await query(db.url, 'CREATE TABLE kept (v text)');
        const state = JSON.parse(
          await readFile(path.join(privateData, 'embedded-postgres.json'), 'utf8'),
        ) as { clusterDir?: string };
        clusterDir = state.clusterDir;
        expect(clusterDir).toMatch(/^\/var\/lib\/chutes-bot\/[0-9a-f]{12}\/postgres$/);
        expect((await stat(path.join(clusterDir!, 'PG_VERSION'))).isFile()).toBe(true);
        await expect(stat(path.join(privateData, 'postgres'))).rejects.toThrow();
        const said = logs.map((l) => JSON.parse(l) as { level: number; msg: string });
        expect(said.filter((l) => l.level === 30).map((l) => l.msg)).toContain(
          `the embedded PostgreSQL keeps its data in ${clusterDir}, because the user "postgres" it runs as (chutes-bot runs as root) cannot enter ${closed}; DATA_DIR keeps its password and where it is`,
        );
        await db.stop();
        // The next start finds it through the state file.
        const again = await openEmbeddedPostgres({ dataDir: privateData, log });
        expect(await query(again.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 0 }]);
        await again.stop();
      } finally {
        await rm(closed, { recursive: true, force: true });
        if (clusterDir) {
          await rm(path.dirname(clusterDir), { recursive: true, force: true });
          await rmdir('/var/lib/chutes-bot').catch(() => undefined); // if this test made it
        }
      }
    },
    60_000,
  );
});
