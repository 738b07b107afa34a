/**
 * The embedded PostgreSQL's state file, DATA_DIR/embedded-postgres.json
 * (credentials, port, owner, where the cluster lives), and the claim that
 * lets one process at a time decide who owns the cluster.
 */
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../process-alive.js';

export const STATE_FILE = 'embedded-postgres.json';
const CLAIM_FILE = 'embedded-postgres.claim';
/** How long a claim is waited for: its holder may be running initdb. */
const CLAIM_WAIT_MS = 60_000;

export interface State {
  user: string;
  password: string;
  port: number;
  /** The process that runs the cluster, null once it stopped it. */
  ownerPid: number | null;
  /** Where the cluster lives when not in DATA_DIR/postgres (as root, see embedded-place.ts). */
  clusterDir?: string;
}

export async function readState(dataDir: string): Promise<State | undefined> {
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
    (state.ownerPid !== null && typeof state.ownerPid !== 'number') ||
    (state.clusterDir !== undefined && typeof state.clusterDir !== 'string')
  ) {
    throw new Error(`${file} is not a valid embedded PostgreSQL state file`);
  }
  return state as State;
}

/**
 * Writes the state file (0600: it holds the password) atomically. With
 * `exclusive`, only if it does not exist yet: false if it does.
 */
export async function saveState(
  dataDir: string,
  state: State,
  exclusive = false,
): Promise<boolean> {
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

export async function releaseOwnership(dataDir: string): Promise<void> {
  const state = await readState(dataDir).catch(() => undefined);
  if (state?.ownerPid !== process.pid) return;
  state.ownerPid = null;
  await saveState(dataDir, state);
}

/**
 * Runs `work` holding DATA_DIR's claim: one process at a time reads the
 * state and joins, or takes the cluster over and records itself as its
 * owner. Two joiners that see their owner stop at the same moment thus never
 * both start a postgres (nor stop each other's as a leftover). A claim whose
 * holder died is removed.
 */
export async function withClaim<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const file = path.join(dataDir, CLAIM_FILE);
  const mine = `${file}.${process.pid}`;
  await writeFile(mine, String(process.pid));
  try {
    const deadline = Date.now() + CLAIM_WAIT_MS;
    for (;;) {
      try {
        await link(mine, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number(await readFile(file, 'utf8').catch(() => '0'));
      // This process's own pid: left by an earlier process that had it (a container's pid 1).
      if (holder === process.pid || (holder > 0 && !isAlive(holder))) {
        await removeStale(file, holder);
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `process ${holder} has been opening the embedded PostgreSQL of ${dataDir} for over a minute: stop it, or remove ${file} if it is not chutes-bot`,
        );
      }
      await sleep(100);
    }
  } finally {
    await rm(mine, { force: true });
  }
  try {
    return await work();
  } finally {
    await rm(file, { force: true });
  }
}

/** Removes the claim of `holder`, unless another process replaced it meanwhile. */
async function removeStale(file: string, holder: number): Promise<void> {
  const aside = `${file}.stale.${process.pid}`;
  try {
    await rename(file, aside);
  } catch {
    return; // someone else removed it
  }
  const found = Number(await readFile(aside, 'utf8').catch(() => '0'));
  // A live claim taken between reading and moving it: put it back.
  if (found !== holder) await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
}
