/**
 * /settings, /usage and /forget while Postgres cannot be reached (the real
 * pg client, a port nobody listens on): a failure that will be retried says
 * nothing; the one that ends the job (the last attempt, once the outage
 * outlasted the patience) answers with the database's sentence.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { handleCommandJob } from '../../src/core/command-job.js';
import type { CommandDeps } from '../../src/core/commands/definition.js';
import { JobError, OUTAGE_PATIENCE_MS } from '../../src/core/job-error.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { CommandJob, JobContext } from '../../src/core/jobs.js';
import { toInteractionRef, type InteractionSurface } from '../../src/core/surface.js';
import { STORE_UNAVAILABLE } from '../../src/core/user-messages.js';
import { createDb, createPool } from '../../src/db/client.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { PgSettingsStore } from '../../src/db/settings-store.js';
import { PgUsageStore } from '../../src/db/usage-store.js';
import { DISCORD_STYLE } from '../../src/platforms/discord/commands.js';
import { TEST_DEFAULTS } from '../support/chat-deps.js';
import { TEST_LIMITS } from '../support/memory-surface.js';

// Port 1: nothing listens there, so every query fails to connect (ECONNREFUSED).
const pool = createPool('postgres://postgres@127.0.0.1:1/none', undefined, {
  connectionTimeoutMillis: 2_000,
});
const db = createDb(pool);
afterAll(async () => {
  await pool.end();
});

const replies: string[] = [];
const surface: InteractionSurface = {
  platform: 'memory',
  limits: TEST_LIMITS,
  adminsAre: 'admins',
  respond: async (_ref, reply) => void replies.push(reply.text),
};
const deps: CommandDeps = {
  interactions: () => surface,
  styles: () => DISCORD_STYLE,
  settings: new PgSettingsStore(db, TEST_DEFAULTS),
  conversations: new PgConversationStore(db),
  usage: new PgUsageStore(db),
  models: {
    chatModels: async () => ['test-model'],
    modelInfos: async () => [{ id: 'test-model', inputModalities: ['text'] }],
  },
  defaults: TEST_DEFAULTS,
  log: { info: () => undefined, warn: () => undefined },
};

const command = (name: CommandJob['command']): CommandJob => ({
  v: 1,
  platform: 'memory',
  tenantId: 't',
  channelId: 'c',
  conversationKey: encodeConversationKey({ channelId: 'c' }),
  interaction: toInteractionRef({ token: 'x' }),
  actor: { id: 'u', name: 'Ann', isAdmin: true },
  command: name,
  options: {},
  receivedAt: new Date().toISOString(),
});

const ctx = (finalAttempt: boolean, outageSince: number): JobContext => ({
  jobId: 'job-1',
  finalAttempt,
  outageSince,
  progress: [],
  saveProgress: async () => undefined,
});

describe('commands while the database cannot be reached', () => {
  it.each(['settings.show', 'usage', 'forget'] as const)(
    '/%s waits quietly within the patience, then answers that the database is away',
    async (name) => {
      replies.length = 0;
      // Within the patience, even on the last attempt: retried, and nothing said yet.
      const waiting = await handleCommandJob(command(name), ctx(true, Date.now() - 5_000), deps)
        .then(() => undefined)
        .catch((error: unknown) => error);
      expect(waiting).toBeInstanceOf(JobError);
      expect(waiting).toMatchObject({ code: 'unavailable', retryable: true });
      expect(replies).toEqual([]);

      // Past the patience an attempt spends its try again; one before the last says nothing.
      const since = Date.now() - OUTAGE_PATIENCE_MS - 1_000;
      const retried = await handleCommandJob(command(name), ctx(false, since), deps)
        .then(() => undefined)
        .catch((error: unknown) => error);
      expect(retried).toMatchObject({ code: 'unavailable', retryable: true });
      expect(replies).toEqual([]);

      // The last one ends the job, with one sentence.
      const final = await handleCommandJob(command(name), ctx(true, since), deps)
        .then(() => undefined)
        .catch((error: unknown) => error);
      expect(final).toMatchObject({ code: 'unavailable', retryable: false });
      expect(replies).toEqual([STORE_UNAVAILABLE]);
    },
  );
});
