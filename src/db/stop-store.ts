/** The Stop presses, in Postgres (core/controls/stop-watch.ts says how they are used). */
import { inArray, lt, sql } from 'drizzle-orm';
import type { StopStore } from '../core/controls/stop-watch.js';
import type { Db } from './client.js';
import { answerStops } from './schema.js';

/** A job id is not reused within the queue's three days: older presses are dropped. */
const KEEP_MS = 3 * 24 * 3600_000;

export class PgStopStore implements StopStore {
  constructor(private readonly db: Db) {}

  async request(answerId: string, byUserId: string): Promise<boolean> {
    const inserted = await this.db
      .insert(answerStops)
      .values({ jobId: answerId, requestedBy: byUserId })
      .onConflictDoNothing()
      .returning({ jobId: answerStops.jobId });
    if (inserted.length > 0)
      await this.db
        .delete(answerStops)
        .where(lt(answerStops.requestedAt, sql`now() - ${`${KEEP_MS} milliseconds`}::interval`));
    return inserted.length > 0;
  }

  async stoppedAmong(answerIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (answerIds.length === 0) return new Set();
    const rows = await this.db
      .select({ jobId: answerStops.jobId })
      .from(answerStops)
      .where(inArray(answerStops.jobId, [...answerIds]));
    return new Set(rows.map((row) => row.jobId));
  }
}
