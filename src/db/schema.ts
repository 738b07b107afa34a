import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * One row per message the bot took part in: the question that mentioned it and
 * its answer. A conversation is a platform channel or thread (`conversation_key`).
 * An exchange's two rows share its job, `asked_at` and `stored_at`; history is
 * read in the order of the questions (`asked_at`), not of the answers.
 */
export const conversationMessages = pgTable(
  'conversation_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    platform: text('platform').notNull(),
    tenantId: text('tenant_id').notNull(),
    conversationKey: text('conversation_key').notNull(),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    authorId: text('author_id'),
    authorName: text('author_name'),
    content: text('content').notNull(),
    platformMessageId: text('platform_message_id'),
    /** The queue job that produced the row: a retried job writes nothing twice. */
    jobId: text('job_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the question arrived (the job's `arrivedAt`): the order history is read in. */
    askedAt: timestamp('asked_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * When the exchange was stored, on the database's clock, taken after the
     * conversation's history lock (conversation-store.ts): a question of a
     * shared channel sees the exchanges stored before it arrived.
     */
    storedAt: timestamp('stored_at', { withTimezone: true })
      .notNull()
      .default(sql`statement_timestamp()`),
  },
  (t) => [
    uniqueIndex('conversation_messages_job_role').on(t.jobId, t.role),
    index('conversation_messages_conversation').on(t.platform, t.conversationKey, t.id),
    index('conversation_messages_asked').on(t.platform, t.conversationKey, t.askedAt),
  ],
);

/** One row per answered (or failed) job: who asked, which model, what it cost. */
export const usage = pgTable(
  'usage',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: text('job_id').notNull(),
    kind: text('kind', { enum: ['chat', 'image'] }).notNull(),
    platform: text('platform').notNull(),
    tenantId: text('tenant_id').notNull(),
    userId: text('user_id').notNull(),
    /** The user's name as the platform showed it when they asked (for /usage). */
    userName: text('user_name'),
    model: text('model').notNull(),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    /** The model sent no usage: the token counts are estimated from characters. */
    tokensEstimated: boolean('tokens_estimated').notNull().default(false),
    timeToFirstTokenMs: integer('time_to_first_token_ms'),
    durationMs: integer('duration_ms').notNull(),
    /** `ok`, or the error code that ended the job. */
    outcome: text('outcome').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('usage_job').on(t.jobId),
    index('usage_tenant_time').on(t.platform, t.tenantId, t.createdAt),
  ],
);

/**
 * Per-tenant generation settings: one row for the whole tenant (`channel_id`
 * empty) and one for each channel with settings of its own. Every field is
 * nullable: null means "the layer below" (a channel's row falls back to the
 * tenant's, the tenant's to the default from the environment); tenant-only
 * settings (quotas, forget_admin_only) stay null in channel rows. Sampling
 * parameters without a column of their own live in `extra` so that adding
 * one needs no migration.
 */
export const tenantSettings = pgTable(
  'tenant_settings',
  {
    platform: text('platform').notNull(),
    tenantId: text('tenant_id').notNull(),
    /** The channel these settings are for; '' for the whole tenant. */
    channelId: text('channel_id').notNull().default(''),
    model: text('model'),
    temperature: doublePrecision('temperature'),
    topP: doublePrecision('top_p'),
    maxTokens: integer('max_tokens'),
    systemPrompt: text('system_prompt'),
    imageModel: text('image_model'),
    /** Answers questions with images when the chat model cannot see them. */
    visionModel: text('vision_model'),
    /** Models that answer when the model is cold or full, comma-separated; '' for none. */
    fallbackModels: text('fallback_models'),
    forgetAdminOnly: boolean('forget_admin_only'),
    /** Discord: a mention in a channel is answered in a new thread. */
    replyInThread: boolean('reply_in_thread'),
    /** A short summary of a reasoning model's thinking above its answer. */
    showReasoning: boolean('show_reasoning'),
    /** Slack assistant threads: the prompts offered when one starts, `|`-separated. */
    suggestedPrompts: text('suggested_prompts'),
    /** Daily quotas for the whole tenant; null or 0: no limit. */
    dailyTokenLimit: integer('daily_token_limit'),
    dailyImageLimit: integer('daily_image_limit'),
    /** The same for each member of the tenant. */
    dailyUserTokenLimit: integer('daily_user_token_limit'),
    dailyUserImageLimit: integer('daily_user_image_limit'),
    extra: jsonb('extra')
      .$type<Record<string, number>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    updatedBy: text('updated_by'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.tenantId, t.channelId] })],
);

/**
 * Who changed which setting of a tenant (or of one channel of it), from what to what. One row per
 * changed key; a null value means "the default". Values are jsonb so a number
 * stays a number and a boolean a boolean.
 */
export const settingsAudit = pgTable(
  'settings_audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    platform: text('platform').notNull(),
    tenantId: text('tenant_id').notNull(),
    /** The channel whose setting changed; null for the whole tenant. */
    channelId: text('channel_id'),
    key: text('key').notNull(),
    oldValue: jsonb('old_value').$type<string | number | boolean>(),
    newValue: jsonb('new_value').$type<string | number | boolean>(),
    actorId: text('actor_id').notNull(),
    actorName: text('actor_name').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('settings_audit_tenant_time').on(t.platform, t.tenantId, t.at)],
);

/**
 * Answers someone stopped with their Stop button, by chat job id: the worker
 * streaming the answer looks here (core/controls/stop-watch.ts), whichever
 * worker took the press. Rows older than three days are of no use (a job's
 * id is not reused within that time) and are removed as new ones come.
 */
export const answerStops = pgTable(
  'answer_stops',
  {
    jobId: text('job_id').primaryKey(),
    requestedBy: text('requested_by').notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('answer_stops_time').on(t.requestedAt)],
);

/**
 * Answers replaced by a regeneration, kept for feedback and audit: the
 * conversation's row then holds the new answer (under the regenerating
 * job's id), and this row the old one, under the id it had.
 */
export const answerVersions = pgTable(
  'answer_versions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The chat job whose answer this was. */
    jobId: text('job_id').notNull(),
    /** The chat job whose answer replaced it. */
    replacedBy: text('replaced_by').notNull(),
    platform: text('platform').notNull(),
    tenantId: text('tenant_id').notNull(),
    conversationKey: text('conversation_key').notNull(),
    content: text('content').notNull(),
    replacedAt: timestamp('replaced_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('answer_versions_job').on(t.jobId)],
);

/**
 * 👍 / 👎 on answers: one vote per person per answer, changed in place. The
 * model, the settings in force and the answer are those of the vote's moment.
 */
export const answerFeedback = pgTable(
  'answer_feedback',
  {
    jobId: text('job_id').notNull(),
    userId: text('user_id').notNull(),
    platform: text('platform').notNull(),
    tenantId: text('tenant_id').notNull(),
    value: text('value', { enum: ['up', 'down'] }).notNull(),
    model: text('model').notNull(),
    settings: jsonb('settings').notNull(),
    answer: text('answer').notNull(),
    votedAt: timestamp('voted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.userId] }),
    index('answer_feedback_tenant').on(t.platform, t.tenantId, t.model),
  ],
);

/**
 * Slack installations (OAuth mode): one row per workspace, or per
 * enterprise for an org-wide install (`key` is then the enterprise id).
 * Tokens are AES-256-GCM sealed with SLACK_ENCRYPTION_KEY
 * (platforms/slack/token-cipher.ts). Removed at once when Slack says the
 * app was uninstalled or its tokens revoked; the workspace's settings and
 * history stay (a reinstall finds them) until forget-workspace deletes them.
 */
export const slackInstallations = pgTable('slack_installations', {
  /** The team id (T…), or the enterprise id (E…) of an org-wide install. */
  key: text('key').primaryKey(),
  teamId: text('team_id'),
  enterpriseId: text('enterprise_id'),
  isEnterpriseInstall: boolean('is_enterprise_install').notNull().default(false),
  appId: text('app_id'),
  botUserId: text('bot_user_id').notNull(),
  botId: text('bot_id'),
  scopes: text('scopes').notNull().default(''),
  botToken: text('bot_token').notNull(),
  /** Token rotation: the single-use refresh token, and when the bot token expires. */
  botRefreshToken: text('bot_refresh_token'),
  botExpiresAt: timestamp('bot_expires_at', { withTimezone: true }),
  installedBy: text('installed_by'),
  installedAt: timestamp('installed_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The workspaces seen under an org-wide install: a job carries its team id
 * only, and finds the enterprise's installation through this.
 */
export const slackEnterpriseTeams = pgTable('slack_enterprise_teams', {
  teamId: text('team_id').primaryKey(),
  enterpriseId: text('enterprise_id').notNull(),
});
