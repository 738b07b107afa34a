import { and, desc, eq, like, lt, or, sql } from 'drizzle-orm';
import type {
  ConversationPresence,
  ConversationStore,
  HistoryView,
  StoredExchange,
  UsageRecord,
} from '../core/ports.js';
import type { StoredMessage } from '../core/conversation.js';
import { nestedKeyPrefix, type ConversationKey } from '../core/conversation-key.js';
import type { ChatJob } from '../core/jobs.js';
import type { Db } from './client.js';
import { answerVersions, conversationMessages, usage } from './schema.js';

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
    if (view?.before !== undefined)
      return this.historyBefore(platform, conversationKey, limit, view.before);
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
    if (job.regenerates) return this.replaceAnswer(job.regenerates.answerId, jobId, answer, record);
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

  /**
   * A regeneration's answer takes the place of the one it replaces: the
   * conversation's row keeps its place in the history and gets the new
   * answer under the regenerating job's id; the old answer goes to
   * `answer_versions`. Whichever attempt stores first stands; an answer
   * already replaced by another regeneration stays as it is.
   */
  private async replaceAnswer(
    answerId: string,
    jobId: string,
    answer: string,
    record: UsageRecord,
  ): Promise<string> {
    return this.db.transaction(async (tx) => {
      const done = await answerOf(tx, jobId);
      if (done !== undefined) return done;
      // Replaced meanwhile (two presses of Regenerate): the newest answer is the one replaced,
      // so what the conversation remembers is what the message shows last.
      let current = answerId;
      let old: typeof conversationMessages.$inferSelect | undefined;
      for (let hops = 0; hops < MAX_REPLACEMENTS; hops++) {
        [old] = await tx
          .select()
          .from(conversationMessages)
          .where(
            and(
              eq(conversationMessages.jobId, current),
              eq(conversationMessages.role, 'assistant'),
            ),
          )
          .for('update');
        if (old) break;
        const [next] = await tx
          .select({ replacedBy: answerVersions.replacedBy })
          .from(answerVersions)
          .where(eq(answerVersions.jobId, current));
        if (!next) break;
        current = next.replacedBy;
      }
      await tx.insert(usage).values(record).onConflictDoNothing();
      // Forgotten meanwhile: the answer is shown, but nothing is stored.
      if (!old) return answer;
      await tx.insert(answerVersions).values({
        jobId: current,
        replacedBy: jobId,
        platform: old.platform,
        tenantId: old.tenantId,
        conversationKey: old.conversationKey,
        content: old.content,
      });
      await tx
        .update(conversationMessages)
        .set({ content: answer, jobId })
        .where(eq(conversationMessages.id, old.id));
      return answer;
    });
  }

  /** The messages of exchanges asked before `before` (a regeneration's history). */
  private async historyBefore(
    platform: string,
    conversationKey: string,
    limit: number,
    before: number,
  ): Promise<StoredMessage[]> {
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
          lt(conversationMessages.askedAt, new Date(before)),
        ),
      )
      .orderBy(desc(conversationMessages.askedAt), desc(conversationMessages.id))
      .limit(limit);
    return rows.reverse();
  }

  /**
   * The exchange whose answer is stored under `answerId` (undefined: none
   * now, the answer was forgotten or replaced): its question is the one
   * of the same conversation asked and stored at the same moments.
   */
  async exchangeOf(answerId: string): Promise<StoredExchange | undefined> {
    // Compared in SQL: the timestamps' microseconds do not survive a JavaScript Date.
    const { rows } = await this.db.execute<{
      platform: string;
      tenant_id: string;
      conversation_key: string;
      answer: string;
      asked_at: string;
      question: string;
      author_id: string | null;
      author_name: string | null;
      platform_message_id: string | null;
    }>(sql`
      SELECT a.platform, a.tenant_id, a.conversation_key, a.content AS answer,
             (extract(epoch FROM a.asked_at) * 1000)::float8 AS asked_at,
             q.content AS question, q.author_id, q.author_name, q.platform_message_id
        FROM conversation_messages a
        JOIN conversation_messages q
          ON q.platform = a.platform AND q.conversation_key = a.conversation_key
         AND q.role = 'user' AND q.asked_at = a.asked_at AND q.stored_at = a.stored_at
       WHERE a.job_id = ${answerId} AND a.role = 'assistant'
       ORDER BY q.id DESC
       LIMIT 1`);
    const row = rows[0];
    if (!row) return undefined;
    return {
      answerId,
      platform: row.platform,
      tenantId: row.tenant_id,
      conversationKey: row.conversation_key as ConversationKey,
      answer: row.answer,
      askedAt: Math.round(Number(row.asked_at)),
      question: {
        text: row.question,
        authorId: row.author_id ?? '',
        authorName: row.author_name ?? row.author_id ?? '?',
        messageId: row.platform_message_id ?? '',
      },
    };
  }

  /** Whether an answer was replaced by a regeneration. */
  async wasReplaced(answerId: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: answerVersions.id })
      .from(answerVersions)
      .where(eq(answerVersions.jobId, answerId))
      .limit(1);
    return rows.length > 0;
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

/** How many regenerations in a row a replacement follows to the newest answer. */
const MAX_REPLACEMENTS = 20;

/** The answer stored for a job, in a transaction or out of one. */
async function answerOf(db: Pick<Db, 'select'>, jobId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ content: conversationMessages.content })
    .from(conversationMessages)
    .where(and(eq(conversationMessages.jobId, jobId), eq(conversationMessages.role, 'assistant')));
  return row?.content;
}
