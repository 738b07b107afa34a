/**
 * BullMQ's Postgres backend, with two guards for a database that went away
 * in a way BullMQ does not count as a lost connection (a server that closes
 * connections as it stops, or a program now on its port: "Connection
 * terminated unexpectedly"):
 *
 * - A worker's fetch that fails that way is retried by BullMQ at once, with
 *   no pause, and a readiness check that failed is remembered and failed
 *   again without any I/O: together a loop of promises that starves every
 *   timer of the process (its shutdown bound too). A failed fetch here
 *   waits a moment before it fails.
 * - A failed readiness check is forgotten, so the next call checks again
 *   and the worker recovers when the database is back.
 */
import {
  createPostgresBackend,
  type BackendFactory,
  type PostgresConnectionOptions,
  type PostgresQueueBackend,
} from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a failed fetch of the next job waits before it reports the failure. */
export const FAILED_FETCH_PAUSE_MS = 1_000;

/** What of BullMQ's backend and connection these guards reach (not part of its typings). */
interface Guarded {
  readyPromise?: Promise<void>;
  connection?: { readyPromise?: Promise<void>; waitUntilReady(): Promise<void> };
  waitUntilReady(): Promise<void>;
  moveToActive(token: string, name?: string): Promise<unknown[]>;
}

export const createGuardedPostgresBackend: BackendFactory<
  PostgresQueueBackend,
  PostgresConnectionOptions
> = (name, opts, factoryOptions) => {
  const backend = createPostgresBackend(name, opts, factoryOptions);
  const guarded = backend as unknown as Guarded;
  forgetFailedReadiness(guarded);
  if (guarded.connection) forgetFailedReadiness(guarded.connection);
  const moveToActive = guarded.moveToActive.bind(backend);
  guarded.moveToActive = async (token, jobName) => {
    try {
      return await moveToActive(token, jobName);
    } catch (error) {
      await sleep(FAILED_FETCH_PAUSE_MS);
      throw error;
    }
  };
  return backend;
};

function forgetFailedReadiness(target: {
  readyPromise?: Promise<void>;
  waitUntilReady(): Promise<void>;
}): void {
  const waitUntilReady = target.waitUntilReady.bind(target);
  target.waitUntilReady = () => {
    const ready = waitUntilReady();
    // The remembered check is BullMQ's own promise, not this one: forget it either way.
    ready.catch(() => (target.readyPromise = undefined));
    return ready;
  };
}
