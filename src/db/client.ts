import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;

/** `drizzle/` at the repository root, from both `src/db` and `dist/db`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

export function createPool(
  databaseUrl: string,
  onIdleError?: (error: Error) => void,
  config: Omit<pg.PoolConfig, 'connectionString'> = {},
): pg.Pool {
  const pool = new pg.Pool({ max: 10, ...config, connectionString: databaseUrl });
  const open = new Set<pg.PoolClient>();
  const busy = new Set<pg.PoolClient>();
  connections.set(pool, { open, busy });
  pool.on('connect', (client) => {
    // A checked-out connection that the server ends between two queries (a
    // stop, `pg_terminate_backend`) reports it as an 'error' event, which
    // would crash the process with no listener; the pool listens only to the
    // idle ones. Its holder learns of it at its next query.
    client.on('error', (error) => {
      if (busy.has(client)) onIdleError?.(error);
    });
    open.add(client);
    client.once('end', () => open.delete(client));
  });
  pool.on('acquire', (client) => busy.add(client));
  pool.on('release', (_error, client) => busy.delete(client));
  pool.on('remove', (client) => busy.delete(client));
  // An idle connection that the server drops (restart, failover) must not crash
  // the process: the pool replaces it on the next query.
  pool.on('error', (error) => onIdleError?.(error));
  return pool;
}

/**
 * How long endPool waits for the connections to close after pool.end(): a
 * moment, not more, since a stopping worker that has handed its jobs back
 * should be gone (a Postgres that still finds one open logs its FATAL at
 * debug while the service stops it, in embedded.ts).
 */
const POOL_END_MS = 300;

/** The connections of each pool createPool made that have not ended yet, and those checked out. */
const connections = new WeakMap<pg.Pool, { open: Set<pg.PoolClient>; busy: Set<pg.PoolClient> }>();

/**
 * Ends a pool and waits until each of its connections has closed: pool.end()
 * resolves once it has asked them to close, and a Postgres stopped right
 * after it (the embedded one, last at shutdown) would end those still open
 * itself, logging `terminating connection due to administrator command`.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  const { open, busy } = connections.get(pool) ?? { open: new Set(), busy: new Set() };
  // The idle ones, which pool.end() closes now; one still checked out closes
  // when its holder lets it go, which waiting here would not hasten.
  const idle = [...open].filter((client) => !busy.has(client));
  const ended = idle.map((client) => new Promise((resolve) => client.once('end', resolve)));
  await pool.end();
  // Bounded: a connection that never reports its end must not hold up the shutdown.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(ended),
    new Promise((resolve) => (timer = setTimeout(resolve, POOL_END_MS))),
  ]);
  clearTimeout(timer);
}

export function createDb(pool: pg.Pool): Db {
  return drizzle(pool, { schema });
}

/** Any constant: the advisory lock that lets one process at a time migrate. */
const MIGRATION_LOCK = 4_242_017;

/** Applies pending migrations; processes starting together take turns. */
export async function migrateDb(pool: pg.Pool, db: Db): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    lock.release();
  }
}

/** How long a start-up probe waits for Postgres to accept a connection. */
const PROBE_CONNECT_MS = 10_000;

/**
 * One connection and `SELECT 1`, on a client of its own (so a server that
 * does not answer at all times out): resolves when Postgres answers; throws
 * what went wrong otherwise, unreachable or refused (bad credentials, no such
 * database).
 */
export async function probePostgres(databaseUrl: string): Promise<void> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: PROBE_CONNECT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}
