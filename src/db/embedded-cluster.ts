/**
 * Running the embedded PostgreSQL's processes: initdb on first start, the
 * postmaster, and stopping them. Both run in a session of their own: a
 * Ctrl-C in the terminal signals the terminal's whole foreground group, and
 * must reach only the service, which lets the answers in flight finish and
 * stops Postgres last (an initdb cut short would leave a half-made cluster).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from '../log.js';
import { isAlive } from '../process-alive.js';
import { exists, type Binaries, type Ids } from './embedded-place.js';

/** TCP on loopback only; an empty unix_socket_directories creates no socket file. */
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
/** Not the service's environment (its tokens); English messages: output is looked at. */
const ENV = { LC_MESSAGES: 'C' };

/** Processes of the clusters this process runs (initdb, postmasters), for the 'exit' handler. */
const runningHere = new Set<number>();
let exitHandler = false;

/** A process that exits without stop() still tells them to stop (postgres: fast shutdown). */
function track(child: ChildProcess): void {
  if (!exitHandler) {
    exitHandler = true;
    process.on('exit', () => {
      for (const pid of runningHere) {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // already gone
        }
      }
    });
  }
  runningHere.add(child.pid!);
  child.once('exit', () => runningHere.delete(child.pid!));
}

/**
 * Creates the cluster at `clusterDir`: initdb writes to `<clusterDir>.init`,
 * renamed once complete, so a first start cut short (a crash, a second
 * Ctrl-C, a reboot) leaves no half-made cluster, only that dir, removed here.
 */
export async function initCluster(options: {
  clusterDir: string;
  bin: Binaries;
  user: string;
  password: string;
  runAs: Ids | undefined;
  onLog: (line: string) => void;
  log: Logger;
}): Promise<void> {
  const { clusterDir, runAs, log } = options;
  const building = `${clusterDir}.init`;
  if (await exists(building)) {
    // Its initdb may still run: it outlives a service killed with SIGKILL (a session of its own).
    for (const pid of await processesWith(`--pgdata=${building}`)) {
      process.kill(pid, 'SIGKILL');
      await exited(pid, 5_000);
    }
    log.info(
      { dir: building },
      'removing a PostgreSQL cluster whose initialisation an earlier start did not finish',
    );
    await rm(building, { recursive: true, force: true });
  }
  await mkdir(building, { recursive: true, mode: 0o700 });
  // The password reaches initdb in a file only it and this process can read.
  const secrets = await mkdtemp(path.join(tmpdir(), 'chutes-bot-initdb-'));
  const pwfile = path.join(secrets, 'password');
  try {
    await writeFile(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (runAs) {
      for (const file of [building, secrets, pwfile]) await chown(file, runAs.uid, runAs.gid);
    }
    const args = [
      `--pgdata=${building}`,
      '--auth=scram-sha-256',
      `--username=${options.user}`,
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--no-locale',
    ];
    const child = spawn(options.bin.initdb, args, {
      ...runAs,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: ENV,
    });
    track(child);
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      options.onLog(text);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
      child.once('error', (err) => {
        output += err.message;
        resolve([null, null]);
      });
      child.once('close', (c, s) => resolve([c, s]));
    });
    if (code !== 0) {
      throw new Error(
        `initdb failed (${signal ?? `exit code ${code}`}) creating the embedded PostgreSQL in ${clusterDir}:\n${output.trim()}`,
      );
    }
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
  await rename(building, clusterDir);
  await chmod(clusterDir, 0o700);
}

/**
 * Runs postgres detached (see the top); resolves with the running postmaster
 * once it accepts connections, or undefined if it exited first.
 */
export async function startPostmaster(options: {
  clusterDir: string;
  port: number;
  bin: Binaries;
  runAs: Ids | undefined;
  onLog: (message: string) => void;
}): Promise<ChildProcess | undefined> {
  const { clusterDir, port, onLog } = options;
  const child = spawn(
    options.bin.postgres,
    ['-D', clusterDir, '-p', String(port), ...POSTGRES_FLAGS],
    {
      ...options.runAs,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: ENV,
    },
  );
  if (child.pid) track(child);
  return new Promise((resolve) => {
    child.once('error', (err) => {
      onLog(`could not start postgres: ${err.message}`);
      resolve(undefined);
    });
    child.once('exit', () => resolve(undefined));
    // The end of the output so far: the ready line may come in two chunks.
    let tail = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const message = chunk.toString('utf8');
      onLog(message);
      tail = (tail + message).slice(-200);
      if (tail.includes('database system is ready to accept connections')) resolve(child);
    });
  });
}

/** Fast shutdown (SIGINT: sessions are ended, no new ones), once the service has closed its own. */
export async function stopPostmaster(postmaster: ChildProcess): Promise<void> {
  if (postmaster.exitCode !== null || postmaster.signalCode !== null) return;
  const exited = new Promise((resolve) => postmaster.once('exit', resolve));
  postmaster.kill('SIGINT');
  await exited;
}

export async function stopLeftover(clusterDir: string, log: Logger): Promise<void> {
  const pid = await postmasterPid(clusterDir);
  if (pid === undefined || !isAlive(pid) || !(await runsCluster(pid, clusterDir))) return;
  log.warn({ postmasterPid: pid }, 'stopping the PostgreSQL a previous owner left running');
  process.kill(pid, 'SIGINT'); // fast shutdown
  if (await exited(pid, 15_000)) return;
  process.kill(pid, 'SIGQUIT'); // immediate shutdown
  if (await exited(pid, 5_000)) return;
  throw new Error(
    `PostgreSQL (pid ${pid}) of ${clusterDir} does not stop: stop it and start again.`,
  );
}

/** The first line of postmaster.pid; the file may be stale (postgres itself handles that). */
async function postmasterPid(clusterDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether `pid` is a postgres serving `clusterDir`, not a process that reused
 * a stale pid (after a reboot it may even be the machine's own Postgres).
 * Without /proc (not Linux) the pid is taken at its word.
 */
async function runsCluster(pid: number, clusterDir: string): Promise<boolean> {
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return args.includes(clusterDir);
  } catch {
    return !(await exists('/proc/self'));
  }
}

/** The processes whose command line has `arg` (none without /proc). */
async function processesWith(arg: string): Promise<number[]> {
  const pids = await readdir('/proc').catch(() => [] as string[]);
  const found: number[] = [];
  for (const pid of pids.filter((name) => /^\d+$/.test(name))) {
    const args = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (args.split('\0').includes(arg)) found.push(Number(pid));
  }
  return found;
}

/** Resolves true once `pid` is gone, false after `waitMs`. */
async function exited(pid: number, waitMs = Infinity): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

export async function createDatabase(url: string, database: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
}

/** Whether the cluster at `url` accepts a query within `waitMs`. */
export async function answers(url: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      if (Date.now() >= deadline) return false;
      await sleep(250);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

export async function isFree(port: number): Promise<boolean> {
  return (await listenOn(port)) !== undefined;
}

export async function freePort(): Promise<number> {
  const port = await listenOn(0);
  if (port === undefined) throw new Error('found no free port on 127.0.0.1');
  return port;
}

/** Listens on 127.0.0.1:`port` and closes again: the port bound, or undefined if taken. */
function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}
