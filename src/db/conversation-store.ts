import { and, desc, eq, like, or, sql } from 'drizzle-orm';
import type {
  ConversationPresence,
  ConversationStore,
  HistoryView,
  UsageRecord,
} from '../core/ports.js';
import type { StoredMessage } from '../core/conversation.js';
import { nestedKeyPrefix, type ConversationKey } from '../core/conversation-key.js';
import type { ChatJob } from '../core/jobs.js';
import type { Db } from './client.js';
import { conversationMessages, usage } from './schema.js';

/**
 * The name of a conversation's history lock: exchanges are stored holding it
 * shared (and dated after taking it); a shared conversation's history is read
 * holding it alone (conversation_history_seen, in the migration that added
 * it). Once the reader has it, every exchange dated before that moment is
 * committed and every later one is dated later: a question that arrived
 * before that moment reads the same rows on every attempt.
 */
function historyLock(platform: string, conversationKey: string): string {
  return `history\n${platform}\n${conversationKey}`;
}

export class PgConversationStore implements ConversationStore, ConversationPresence {
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

  /** One row at most, found through the (platform, conversation_key, id) index. */
  async hasExchange(platform: string, conversationKey: ConversationKey): Promise<boolean> {
    const rows = await this.db
      .select({ id: conversationMessages.id })
      .from(conversationMessages)
      .where(
        and(
          eq(conversationMessages.platform, platform),
          eq(conversationMessages.conversationKey, conversationKey),
        ),
      )
      .limit(1);
    return rows.length > 0;
  }

  /**
   * What a question of a shared conversation sees: the exchanges stored
   * before it arrived and its author's own, in the order of their questions.
   * One round trip (a function), so the lock is held only while reading.
   */
  private async sharedHistory(
    platform: string,
    conversationKey: string,
    limit: number,
    view: HistoryView,
  ): Promise<StoredMessage[]> {
    const { rows } = await this.db.execute<{
      role: StoredMessage['role'];
      author_name: string | null;
      content: string;
    }>(
      sql`SELECT role, author_name, content FROM conversation_history_seen(${platform}, ${conversationKey}, ${view.arrivedAt}, ${view.authorId}, ${limit})`,
    );
    return rows
      .reverse()
      .map((r) => ({ role: r.role, authorName: r.author_name, content: r.content }));
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
        sql`SELECT pg_advisory_xact_lock_shared(hashtextextended(${historyLock(job.platform, job.conversationKey)}, 0))`,
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
