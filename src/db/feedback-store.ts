/** Votes on answers, in Postgres (core/controls/feedback.ts). */
import { and, count, eq, gte, sql } from 'drizzle-orm';
import type { FeedbackStore, ModelFeedback, Vote } from '../core/controls/feedback.js';
import type { Db } from './client.js';
import { answerFeedback, usage } from './schema.js';

export class PgFeedbackStore implements FeedbackStore {
  constructor(private readonly db: Db) {}

  async vote(vote: Vote): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // The model that wrote the answer (its usage row); the setting's when none is found.
      const [written] = await tx
        .select({ model: usage.model })
        .from(usage)
        .where(eq(usage.jobId, vote.answerId));
      const [before] = await tx
        .select({ value: answerFeedback.value })
        .from(answerFeedback)
        .where(and(eq(answerFeedback.jobId, vote.answerId), eq(answerFeedback.userId, vote.userId)))
        .for('update');
      const row = {
        value: vote.value,
        model: written?.model || vote.settings.model,
        settings: vote.settings,
        answer: vote.answer,
        votedAt: sql`now()`,
      };
      await tx
        .insert(answerFeedback)
        .values({
          jobId: vote.answerId,
          userId: vote.userId,
          platform: vote.platform,
          tenantId: vote.tenantId,
          ...row,
        })
        .onConflictDoUpdate({ target: [answerFeedback.jobId, answerFeedback.userId], set: row });
      return before?.value !== vote.value;
    });
  }

  async byModel(platform: string, tenantId: string, since: Date): Promise<ModelFeedback[]> {
    const rows = await this.db
      .select({ model: answerFeedback.model, value: answerFeedback.value, votes: count() })
      .from(answerFeedback)
      .where(
        and(
          eq(answerFeedback.platform, platform),
          eq(answerFeedback.tenantId, tenantId),
          gte(answerFeedback.votedAt, since),
        ),
      )
      .groupBy(answerFeedback.model, answerFeedback.value);
    const models = new Map<string, { up: number; down: number }>();
    for (const row of rows) {
      const entry = models.get(row.model) ?? { up: 0, down: 0 };
      entry[row.value] += Number(row.votes);
      models.set(row.model, entry);
    }
    return [...models].map(([model, votes]) => ({ model, ...votes }));
  }
}
