import { and, desc, eq, inArray, like, lt, or, sql } from 'drizzle-orm';
import type { ConversationStore, HistoryView, UsageRecord } from '../core/ports.js';
import type { StoredMessage } from '../core/conversation.js';
import { nestedKeyPrefix, type ConversationKey } from '../core/conversation-key.js';
import type { ChatJob } from '../core/jobs.js';
import type { Db } from './client.js';
import { conversationMessages, usage } from './schema.js';

/**
 * How long reading a shared conversation's history waits at most for the
 * database's clock to reach the question's arrival (taken on the gateway's
 * clock); past it, the history is read as it is.
 */
const CLOCK_WAIT_MAX_MS = 2_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The conversation's history lock: exchanges are stored holding it shared,
 * history of a shared conversation is read holding it alone. Once the reader
 * has it, every exchange stored before that moment is committed, and every
 * later one gets a later `stored_at` (taken after the lock): a question that
 * arrived before that moment reads the same rows on every attempt.
 */
function historyLock(platform: string, conversationKey: string) {
  return sql`hashtextextended(${`history\n${platform}\n${conversationKey}`}, 0)`;
}

export class PgConversationStore implements ConversationStore {
  constructor(private readonly db: Db) {}

  async history(
    platform: string,
    conversationKey: string,
    limit: number,
    view?: HistoryView,
  ): Promise<StoredMessage[]> {
    if (limit <= 0) return [];
    if (view) return this.sharedHistory(platform, conversationKey, limit, view);
    const rows = await this.db
      .select({
        role: conversationMessages.role,
        authorName: conversationMessages.authorName,
        content: conversationMessages.content,
      })
      .from(conversationMessages)
      .where(
        and(
          eq(conversationMessages.platform, platform),
          eq(conversationMessages.conversationKey, conversationKey),
        ),
      )
      .orderBy(desc(conversationMessages.id))
      .limit(limit);
    return rows.reverse();
  }

  /**
   * What a question of a shared conversation sees: the exchanges stored
   * before it arrived and its author's own, in the order of their questions.
   */
  private async sharedHistory(
    platform: string,
    conversationKey: string,
    limit: number,
    view: HistoryView,
  ): Promise<StoredMessage[]> {
    const m = conversationMessages;
    const inConversation = and(eq(m.platform, platform), eq(m.conversationKey, conversationKey));
    const giveUpAt = Date.now() + CLOCK_WAIT_MAX_MS;
    for (;;) {
      const read = await this.db.transaction(async (tx) => {
        const locked = await tx.execute<{ now: number }>(
          sql`WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(${historyLock(platform, conversationKey)}))
              SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now FROM l`,
        );
        // The database's clock is behind the gateway's: an exchange stored
        // after this read could still be dated before the arrival.
        const behind = view.arrivedAt - Number(locked.rows[0]!.now);
        if (behind > 0 && Date.now() + behind <= giveUpAt) return behind;
        const own = tx
          .select({ jobId: m.jobId })
          .from(m)
          .where(and(inConversation, eq(m.role, 'user'), eq(m.authorId, view.authorId)));
        const rows = await tx
          .select({ role: m.role, authorName: m.authorName, content: m.content })
          .from(m)
          .where(
            and(
              inConversation,
              or(lt(m.storedAt, new Date(view.arrivedAt)), inArray(m.jobId, own)),
            ),
          )
          .orderBy(desc(m.askedAt), desc(m.jobId), desc(m.id))
          .limit(limit);
        return rows.reverse();
      });
      if (typeof read !== 'number') return read;
      await sleep(read);
    }
  }

  storedAnswer(jobId: string): Promise<string | undefined> {
    return answerOf(this.db, jobId);
  }

  async saveExchange(
    job: ChatJob,
    jobId: string,
    answer: string,
    record: UsageRecord,
  ): Promise<string> {
    const common = {
      platform: job.platform,
      tenantId: job.tenantId,
      conversationKey: job.conversationKey,
      jobId,
      askedAt: new Date(job.arrivedAt ?? Date.now()),
    };
    return this.db.transaction(async (tx) => {
      // stored_at is taken by the insert, after this (see historyLock).
      await tx.execute(
        sql`SELECT pg_advisory_xact_lock_shared(${historyLock(job.platform, job.conversationKey)})`,
      );
      await tx
        .insert(conversationMessages)
        .values([
          {
            ...common,
            role: 'user',
            authorId: job.author.id,
            authorName: job.author.name,
            content: job.text,
            platformMessageId: job.messageId,
          },
          { ...common, role: 'assistant', content: answer },
        ])
        .onConflictDoNothing();
      await tx.insert(usage).values(record).onConflictDoNothing();
      // Another attempt may have stored its answer first: that one stands.
      return (await answerOf(tx, jobId)) ?? answer;
    });
  }

  async recordUsage(record: UsageRecord): Promise<void> {
    await this.db.insert(usage).values(record).onConflictDoNothing();
  }

  /**
   * Forgets a conversation and every conversation nested in it (such as a
   * Slack channel's threads): the rows are deleted, not hidden. Returns how many.
   */
  async forget(platform: string, conversationKey: ConversationKey): Promise<number> {
    const nested = `${nestedKeyPrefix(conversationKey).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const deleted = await this.db
      .delete(conversationMessages)
      .where(
        and(
          eq(conversationMessages.platform, platform),
          or(
            eq(conversationMessages.conversationKey, conversationKey),
            like(conversationMessages.conversationKey, nested),
          ),
        ),
      )
      .returning({ id: conversationMessages.id });
    return deleted.length;
  }
}

/** The answer stored for a job, in a transaction or out of one. */
async function answerOf(db: Pick<Db, 'select'>, jobId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ content: conversationMessages.content })
    .from(conversationMessages)
    .where(and(eq(conversationMessages.jobId, jobId), eq(conversationMessages.role, 'assistant')));
  return row?.content;
}
