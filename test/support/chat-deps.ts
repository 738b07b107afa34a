import { pino } from 'pino';
import type { ChatJobDeps } from '../../src/core/chat-job.js';
import type { ChatModel } from '../../src/core/ports.js';
import type { RateBudget } from '../../src/core/rate-budget.js';
import type { ChatSurface } from '../../src/core/surface.js';
import type { Db } from '../../src/db/client.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { PgSettingsStore } from '../../src/db/settings-store.js';

export const TEST_DEFAULTS = {
  model: 'test-model',
  imageModel: 'img',
  temperature: 0.5,
  maxTokens: 100,
  systemPrompt: 'S',
} as const;

/** The chat job's dependencies on a real database and budget, with a given surface and model. */
export function chatDeps(options: {
  db: Db;
  budget: RateBudget;
  surface: ChatSurface;
  model: ChatModel;
}): ChatJobDeps {
  return {
    surface: () => options.surface,
    budget: options.budget,
    model: options.model,
    store: new PgConversationStore(options.db),
    settings: new PgSettingsStore(options.db, TEST_DEFAULTS),
    history: { tokenBudget: 10_000, maxMessages: 50 },
    log: pino({ level: 'silent' }),
  };
}
