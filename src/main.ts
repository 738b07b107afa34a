/** Entry point: `npm start`. Starts the roles named by ROLE and stops them on SIGTERM/SIGINT. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError, loadConfig, unknownVariables } from './config.js';
import { createLogger } from './log.js';
import type { Service } from './service.js';

async function main(): Promise<void> {
  // A `.env` in the working directory fills in what the environment does not
  // set (process.loadEnvFile never overrides a variable already set).
  if (existsSync('.env')) {
    try {
      if (!statSync('.env').isFile())
        throw Object.assign(new Error('not a file'), { code: 'not a file' });
      process.loadEnvFile('.env');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      console.error(
        `chutes-bot failed to start: .env in ${process.cwd()} cannot be read (${code}): make it a file this user may read, or remove it`,
      );
      process.exit(1);
    }
  }
  const unknown = unknownInDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error([error.message, ...unknown.map((u) => u.sentence)].join('\n'));
      process.exit(1);
    }
    throw error;
  }
  const secrets = [
    config.chutes.apiKey,
    config.discord?.token,
    config.slack?.botToken,
    config.slack?.signingSecret,
    config.slack?.appToken,
    config.slack?.oauth?.clientSecret,
    config.slack?.oauth?.stateSecret,
    config.slack?.oauth?.encryptionKey.toString('hex'),
    config.adminPassword,
  ].filter((s): s is string => Boolean(s));
  const pretty =
    config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY);
  const log = createLogger(config.logLevel, secrets, undefined, pretty ? 'pretty' : 'json');
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  for (const { name, suggestion, sentence } of unknown)
    log.warn({ variable: name, suggestion }, sentence);
  // The service and its libraries (platform clients, queue, database) take
  // seconds to load: a configuration error is reported without them.
  const { CLOSE_MS, HAND_BACK_MS, startService } = await import('./service.js');

  // A stop signal while start-up still waits for a store ends start-up: what it opened is closed.
  const starting = new AbortController();
  let service: Service | undefined = undefined;
  let stopping = false;
  let exitCode = 0;
  const shutdown = (
    signal: string,
    boundMs = config.worker.shutdownGraceMs + HAND_BACK_MS + CLOSE_MS,
  ) => {
    if (stopping) {
      // Ctrl-C again: the user will not wait for the answers in flight. Their
      // jobs stay in the queue and are continued after their locks expire; the
      // 'exit' handler of src/db/embedded.ts stops an embedded Postgres.
      if (signal !== 'SIGINT') return;
      log.warn({ signal }, 'second interrupt: exiting without waiting for running answers');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    // A dependency that is away (Redis, Postgres) must not keep the process
    // from exiting: its jobs are resumed by other workers after their locks expire.
    setTimeout(() => {
      log.error('shutdown did not finish in time; exiting anyway');
      process.exit(1);
    }, boundMs).unref();
    if (!service) {
      // Start-up stops at its next wait and closes what it opened (see below).
      starting.abort(new Error(`${signal} while starting`));
      return;
    }
    void service.stop().then(
      () => process.exit(exitCode),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A closed terminal: stop the same way, so an embedded Postgres is stopped too.
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  let started: Service;
  try {
    started = await startService(config, log, {
      signal: starting.signal,
      // The service cannot go on (its embedded Postgres is gone): stop as on
      // SIGTERM, exit 1. Without its database no answer in flight can be
      // stored or handed back, so the stop is bounded by the close alone: a
      // program now on the database's port may accept connections and never
      // answer them.
      onFatal: (error) => {
        log.error(error.message);
        exitCode = 1;
        shutdown('fatal error', CLOSE_MS);
      },
    });
  } catch (error) {
    if (!starting.signal.aborted) throw error;
    log.info('stopped before start-up finished');
    process.exit(exitCode);
  }
  // A stop signal came during a step that does not wait (a platform login): stop now.
  if (stopping) await started.stop().finally(() => process.exit(exitCode));
  service = started;
}

main().catch((error: unknown) => {
  console.error('chutes-bot failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});

/**
 * What a `.env` sets that the service does not read (a misspelling, most
 * likely, which leaves the default in place), each with the sentence saying
 * so and naming the variable it probably meant.
 */
function unknownInDotEnv(): { name: string; suggestion?: string; sentence: string }[] {
  if (!existsSync('.env')) return [];
  const names = Object.keys(parseEnv(readFileSync('.env', 'utf8')));
  return unknownVariables(names).map(({ name, suggestion }) => ({
    name,
    suggestion,
    sentence: suggestion
      ? `.env sets ${name}, which chutes-bot does not read: did you mean ${suggestion}?`
      : `.env sets ${name}, which chutes-bot does not read`,
  }));
}
