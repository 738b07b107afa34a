/**
 * `node dist/forget-workspace.js <team id>`: deletes a Slack workspace's
 * settings, history, usage and feedback (and its installation, if any).
 * Uninstalling the app keeps them, so that a reinstall restores them; this is
 * the step for a workspace that asks to be forgotten. Reads DATABASE_URL
 * (or, without it, the embedded Postgres under DATA_DIR) like the service.
 */
import { ConfigError, loadConfig } from './config.js';
import { createDb, createPool, endPool } from './db/client.js';
import { openEmbeddedPostgres } from './db/embedded.js';
import { createLogger } from './log.js';
import { forgetSlackWorkspace, TEAM_ID } from './platforms/slack/forget-workspace.js';

const teamId = process.argv[2] ?? '';
if (!TEAM_ID.test(teamId)) {
  console.error('Usage: node dist/forget-workspace.js <Slack team id, T…>');
  process.exit(2);
}
try {
  const config = loadConfig();
  const log = createLogger('warn');
  const embedded = config.databaseUrl
    ? undefined
    : await openEmbeddedPostgres({ dataDir: config.dataDir, log });
  const pool = createPool(config.databaseUrl ?? embedded!.url);
  try {
    const deleted = await forgetSlackWorkspace(createDb(pool), teamId);
    const total = Object.values(deleted).reduce((sum, n) => sum + n, 0);
    console.log(
      `Forgot Slack workspace ${teamId}: ${total} rows deleted ${JSON.stringify(deleted)}`,
    );
  } finally {
    await endPool(pool);
    await embedded?.stop();
  }
} catch (error) {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `Could not forget workspace ${teamId}: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
