import pg from 'pg';
import { createDb, createPool, migrateDb, type Db } from '../../src/db/client.js';

/** Postgres of the machine (trust auth); override with TEST_DATABASE_ADMIN_URL. */
export const ADMIN_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  readonly db: Db;
  drop(): Promise<void>;
}

/** A fresh database of its own, migrated unless told not to, dropped afterwards. */
export async function createTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const name = `chutesbot_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString());
  const db = createDb(pool);
  if (options.migrate !== false) await migrateDb(pool, db);
  return {
    url: url.toString(),
    pool,
    db,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** What a query does while Postgres is away: pg's error when the server drops the connection. */
export async function connectionLost(): Promise<never> {
  throw new Error('Connection terminated unexpectedly');
}
