/**
 * The environment contract (docs/configuration.md). This is the only
 * module that reads `process.env`: everything else receives a typed `Config`.
 */
import { BotError } from './errors.js';
import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const url = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }))
    .transform((value) => value.replace(/\/+$/, ''));

/** Numbers are reported with their range, whatever was wrong: "must be a whole number from 0 to 65535". */
const range = (what: string, min: number, max: number) => `must be ${what} from ${min} to ${max}`;

const int = (fallback: number, min: number, max: number) => {
  const message = range('a whole number', min, max);
  return z.coerce
    .number({ error: message })
    .int({ error: message })
    .min(min, { error: message })
    .max(max, { error: message })
    .default(fallback);
};

const number = (fallback: number, min: number, max: number) => {
  const message = range('a number', min, max);
  return z.coerce
    .number({ error: message })
    .min(min, { error: message })
    .max(max, { error: message })
    .default(fallback);
};

/** `auto` (Discord's recommended count, from `GET /gateway/bot`) or a whole number of shards. */
const shards = z
  .string()
  .trim()
  .toLowerCase()
  .default('auto')
  .pipe(
    z.string().regex(/^(auto|[1-9]\d{0,4})$/, {
      error: 'must be auto or a whole number of shards from 1 to 99999',
    }),
  )
  .transform((value) => (value === 'auto' ? ('auto' as const) : Number(value)));

/** `true`/`false` (and the usual words for them: yes/no, on/off, 1/0). */
const flag = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .default(String(fallback))
    .pipe(
      z.enum(['true', 'false', 'yes', 'no', 'on', 'off', '1', '0'], {
        error: 'must be true or false',
      }),
    )
    .transform((value) => ['true', 'yes', 'on', '1'].includes(value));

const envSchema = z.object({
  CHUTES_API_KEY: optionalString,
  CHUTES_BASE_URL: url('https://llm.chutes.ai/v1'),
  CHUTES_IMAGE_URL: url('https://image.chutes.ai/generate'),
  CHUTES_CONNECT_TIMEOUT_MS: int(30_000, 1_000, 600_000),
  CHUTES_IDLE_TIMEOUT_MS: int(60_000, 1_000, 600_000),
  DEFAULT_MODEL: z.string().trim().min(1).default('deepseek-ai/DeepSeek-V3-0324'),
  DEFAULT_IMAGE_MODEL: z.string().trim().min(1).default('FLUX.1-schnell'),
  DEFAULT_TEMPERATURE: number(0.7, 0, 2),
  DEFAULT_MAX_TOKENS: int(1024, 1, 1_000_000),
  DEFAULT_SYSTEM_PROMPT: z
    .string()
    .default(
      'You are a helpful assistant in a group chat. Messages from people start with their name. Answer concisely and use Markdown.',
    ),
  HISTORY_TOKEN_BUDGET: int(6_000, 100, 1_000_000),
  HISTORY_MAX_MESSAGES: int(50, 0, 1_000),
  // Questions per minute before the bot asks someone (or a channel) to slow down; 0: no limit.
  FLOOD_USER_PER_MINUTE: int(10, 0, 10_000),
  FLOOD_CHANNEL_PER_MINUTE: int(30, 0, 10_000),

  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_API_URL: url('https://discord.com/api'),
  // The privileged Message Content intent: replies without the ping and thread follow-ups.
  DISCORD_MESSAGE_CONTENT: flag(true),
  // How many gateway sessions (shards) the bot's Discord connection is split into, over every gateway process.
  DISCORD_SHARDS: shards,

  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: url('https://slack.com/api'),
  // OAuth mode (any number of workspaces through /slack/install): set SLACK_CLIENT_ID.
  SLACK_CLIENT_ID: optionalString,
  SLACK_CLIENT_SECRET: optionalString,
  SLACK_STATE_SECRET: optionalString,
  SLACK_ENCRYPTION_KEY: optionalString,
  // The service's public base URL: Slack sends installers back to PUBLIC_URL/slack/oauth_redirect.
  PUBLIC_URL: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }))
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),

  // Neither set: an embedded PostgreSQL under DATA_DIR holds everything.
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  // Not set: the queue, ordering and budget live in Postgres too.
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  QUEUE_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, - and _')
    .default('chutes-bot'),
  ROLE: z.enum(['all', 'gateway', 'worker']).default('all'),
  PORT: int(3000, 0, 65_535),
  // Not set: no queue dashboard.
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // auto: readable lines when stdout is a terminal, JSON lines otherwise.
  LOG_FORMAT: z
    .enum(['auto', 'pretty', 'json'], {
      error: 'must be auto, pretty (readable lines) or json (one JSON object a line)',
    })
    .default('auto'),

  WORKER_CONCURRENCY: int(500, 1, 5_000),
  JOB_ATTEMPTS: int(4, 1, 20),
  // A crashed worker's answer moves again within about 12 s: its lock lapses
  // within 8 s (renewed every 4 s) and the next check, every 3 s, hands it on.
  JOB_LOCK_MS: int(8_000, 1_000, 600_000),
  JOB_STALLED_INTERVAL_MS: int(3_000, 1_000, 600_000),
  JOB_MAX_STALLS: int(2, 0, 20),
  SHUTDOWN_GRACE_MS: int(20_000, 0, 600_000),
  // A killed gateway's shards move within about 12 s: its leases lapse within
  // 10 s and the others look every fifth of that.
  SHARD_LEASE_MS: int(10_000, 1_000, 60_000),
});

/** Rules across variables; checked on the raw values so they are reported alongside the rest. */
function crossProblems(source: Record<string, string | undefined>): string[] {
  const set = (name: string) => Boolean(source[name]?.trim());
  const problems: string[] = [];
  if (set('DISCORD_TOKEN') !== set('DISCORD_APPLICATION_ID')) {
    problems.push(
      `${set('DISCORD_TOKEN') ? 'DISCORD_APPLICATION_ID' : 'DISCORD_TOKEN'}: DISCORD_TOKEN and DISCORD_APPLICATION_ID go together: set both to enable Discord`,
    );
  }
  if (
    !set('DISCORD_TOKEN') &&
    !set('DISCORD_APPLICATION_ID') &&
    !set('SLACK_BOT_TOKEN') &&
    !set('SLACK_CLIENT_ID')
  ) {
    problems.push(
      'DISCORD_TOKEN: no platform is configured: set DISCORD_TOKEN and DISCORD_APPLICATION_ID for Discord, SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) for Slack, or both',
    );
  }
  const oauth = set('SLACK_CLIENT_ID');
  for (const name of ['SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN']) {
    if (set(name) && !set('SLACK_BOT_TOKEN') && !oauth)
      problems.push(`SLACK_BOT_TOKEN: ${name} is set, but Slack needs its bot token (xoxb-…) too`);
  }
  problems.push(...oauthProblems(source, set));
  // Only the gateway receives Slack's events: it must check their signatures
  // (HTTP) or hold the socket-mode connection.
  if (
    set('SLACK_BOT_TOKEN') &&
    !oauth &&
    source.ROLE?.trim() !== 'worker' &&
    !set('SLACK_SIGNING_SECRET') &&
    !set('SLACK_APP_TOKEN')
  ) {
    problems.push(
      'SLACK_SIGNING_SECRET: is required to receive Slack events over HTTP (Basic Information → Signing Secret); or set SLACK_APP_TOKEN for socket mode',
    );
  }
  if (set('SLACK_APP_TOKEN') && !source.SLACK_APP_TOKEN!.trim().startsWith('xapp-')) {
    problems.push('SLACK_APP_TOKEN: must be an app-level token (xapp-…) with connections:write');
  }
  const lock = Number(source.JOB_LOCK_MS ?? 8_000);
  const stalled = Number(source.JOB_STALLED_INTERVAL_MS ?? 3_000);
  if (Number.isFinite(lock) && Number.isFinite(stalled) && stalled > lock * 2) {
    problems.push(
      'JOB_STALLED_INTERVAL_MS: must be at most twice JOB_LOCK_MS, or a crashed answer waits needlessly long to resume',
    );
  }
  if (source.ROLE?.trim() !== 'gateway' && !set('CHUTES_API_KEY')) {
    problems.push(
      'CHUTES_API_KEY: is required for ROLE=all and ROLE=worker (the key from chutes.ai → API keys)',
    );
  }
  return problems;
}

/** How to make a SLACK_ENCRYPTION_KEY, for the sentences about a missing or malformed one. */
const MAKE_KEY =
  'make one with `openssl rand -hex 32` and keep it: the stored bot tokens cannot be read without it';

/** OAuth mode's variables: each missing one is its own sentence. */
function oauthProblems(
  source: Record<string, string | undefined>,
  set: (name: string) => boolean,
): string[] {
  const problems: string[] = [];
  const oauthOnly = ['SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET', 'SLACK_ENCRYPTION_KEY'] as const;
  if (!set('SLACK_CLIENT_ID')) {
    for (const name of oauthOnly) {
      if (set(name))
        problems.push(
          `SLACK_CLIENT_ID: ${name} is set, but installing the app through /slack/install needs SLACK_CLIENT_ID too (Basic Information → App Credentials)`,
        );
    }
    return problems;
  }
  if (set('SLACK_BOT_TOKEN'))
    problems.push(
      'SLACK_BOT_TOKEN: set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID (any number of workspaces, installed through /slack/install), not both; in OAuth mode install the app to the first workspace through /slack/install too',
    );
  const why = {
    SLACK_CLIENT_SECRET:
      'is required with SLACK_CLIENT_ID to exchange install codes (Basic Information → App Credentials → Client Secret)',
    SLACK_STATE_SECRET:
      'is required with SLACK_CLIENT_ID to sign the install state (any long random string, e.g. `openssl rand -hex 32`)',
    SLACK_ENCRYPTION_KEY: `is required with SLACK_CLIENT_ID to encrypt the stored bot tokens: ${MAKE_KEY}`,
    SLACK_SIGNING_SECRET:
      'is required with SLACK_CLIENT_ID to check the signatures of Slack events (Basic Information → Signing Secret)',
    PUBLIC_URL:
      'is required with SLACK_CLIENT_ID: the public base URL of this service, where Slack sends installers back (PUBLIC_URL/slack/oauth_redirect)',
  } as const;
  for (const [name, sentence] of Object.entries(why)) {
    if (!set(name)) problems.push(`${name}: ${sentence}`);
  }
  const key = source.SLACK_ENCRYPTION_KEY?.trim();
  if (key && !/^[0-9a-fA-F]{64}$/.test(key))
    problems.push(`SLACK_ENCRYPTION_KEY: must be 32 bytes written as 64 hex digits: ${MAKE_KEY}`);
  return problems;
}

type Env = z.infer<typeof envSchema>;

/** Every variable the service reads (deployment files are checked against it). */
export const ENV_NAMES: readonly string[] = Object.keys(envSchema.shape);

export interface Config {
  readonly role: Env['ROLE'];
  readonly port: number;
  /** Protects the queue dashboard on /admin/queues; unset: no dashboard. */
  readonly adminPassword?: string;
  readonly logLevel: Env['LOG_LEVEL'];
  /** auto: pretty when stdout is a terminal, json otherwise. */
  readonly logFormat: Env['LOG_FORMAT'];
  /** Unset: the embedded PostgreSQL under `dataDir`. */
  readonly databaseUrl?: string;
  /** Unset: queue, ordering and budget on Postgres. */
  readonly redisUrl?: string;
  readonly dataDir: string;
  readonly queuePrefix: string;
  readonly chutes: {
    readonly apiKey: string;
    readonly baseUrl: string;
    readonly imageUrl: string;
    readonly connectTimeoutMs: number;
    readonly idleTimeoutMs: number;
  };
  /** Generation settings used until a tenant's admins choose otherwise. */
  readonly defaults: {
    readonly model: string;
    readonly imageModel: string;
    readonly temperature: number;
    readonly maxTokens: number;
    readonly systemPrompt: string;
  };
  readonly history: { readonly tokenBudget: number; readonly maxMessages: number };
  readonly discord?: {
    readonly token: string;
    readonly applicationId: string;
    readonly apiUrl: string;
    /**
     * The bot asks for the Message Content intent (switched on in the developer
     * portal): it then reads replies to its answers without the ping and every
     * message in the threads it opened; without it, only mentions and DMs.
     */
    readonly messageContent: boolean;
    /** Shards over all gateway processes: `auto` takes Discord's recommended count. */
    readonly shards: 'auto' | number;
  };
  readonly slack?: {
    /** Single-workspace mode; unset in OAuth mode (`oauth`). */
    readonly botToken?: string;
    /** OAuth mode: any number of workspaces install the app through /slack/install. */
    readonly oauth?: SlackOAuthConfig;
    readonly signingSecret?: string;
    readonly appToken?: string;
    readonly apiUrl: string;
  };
  /** How long a gateway's lease on a shard lasts without renewal (SHARD_LEASE_MS). */
  readonly shardLeaseMs: number;
  /** How often gateways renew their leases and claim free shards: a fifth of the lease. */
  readonly shardTickMs: number;
  /** Questions per minute per person and per channel (0: no limit). */
  readonly flood: { readonly perUser: number; readonly perChannel: number };
  readonly worker: {
    readonly concurrency: number;
    readonly attempts: number;
    readonly lockMs: number;
    readonly stalledIntervalMs: number;
    /** How many worker crashes one job survives before it fails for good. */
    readonly maxStalls: number;
    readonly shutdownGraceMs: number;
  };
}

export interface SlackOAuthConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly stateSecret: string;
  /** AES-256-GCM key (32 bytes) for the bot tokens stored in Postgres. */
  readonly encryptionKey: Buffer;
  /** The service's public base URL, without the trailing slash. */
  readonly publicUrl: string;
}

export class ConfigError extends BotError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      'config',
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSet these environment variables (see .env.example) and start again.',
    );
    this.problems = problems;
  }
}

/** Parses the environment; throws one ConfigError naming every bad or missing variable. */
export function loadConfig(raw: Record<string, string | undefined> = process.env): Config {
  // `PORT=` in a file means "not set", not 0.
  const source = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = envSchema.safeParse(source);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues).map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      // Values are never echoed: some of these variables are secrets.
      return `${name}: ${issue.message}`;
    }),
    ...crossProblems(source),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;
  return {
    role: env.ROLE,
    port: env.PORT,
    adminPassword: env.ADMIN_PASSWORD,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    dataDir: env.DATA_DIR,
    queuePrefix: env.QUEUE_PREFIX,
    chutes: {
      apiKey: env.CHUTES_API_KEY ?? '',
      baseUrl: env.CHUTES_BASE_URL,
      imageUrl: env.CHUTES_IMAGE_URL,
      connectTimeoutMs: env.CHUTES_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: env.CHUTES_IDLE_TIMEOUT_MS,
    },
    defaults: {
      model: env.DEFAULT_MODEL,
      imageModel: env.DEFAULT_IMAGE_MODEL,
      temperature: env.DEFAULT_TEMPERATURE,
      maxTokens: env.DEFAULT_MAX_TOKENS,
      systemPrompt: env.DEFAULT_SYSTEM_PROMPT,
    },
    history: { tokenBudget: env.HISTORY_TOKEN_BUDGET, maxMessages: env.HISTORY_MAX_MESSAGES },
    flood: { perUser: env.FLOOD_USER_PER_MINUTE, perChannel: env.FLOOD_CHANNEL_PER_MINUTE },
    discord:
      env.DISCORD_TOKEN && env.DISCORD_APPLICATION_ID
        ? {
            token: env.DISCORD_TOKEN,
            applicationId: env.DISCORD_APPLICATION_ID,
            apiUrl: env.DISCORD_API_URL,
            messageContent: env.DISCORD_MESSAGE_CONTENT,
            shards: env.DISCORD_SHARDS,
          }
        : undefined,
    slack:
      env.SLACK_BOT_TOKEN || env.SLACK_CLIENT_ID
        ? {
            botToken: env.SLACK_BOT_TOKEN,
            oauth: env.SLACK_CLIENT_ID
              ? {
                  clientId: env.SLACK_CLIENT_ID,
                  clientSecret: env.SLACK_CLIENT_SECRET!,
                  stateSecret: env.SLACK_STATE_SECRET!,
                  encryptionKey: Buffer.from(env.SLACK_ENCRYPTION_KEY!, 'hex'),
                  publicUrl: env.PUBLIC_URL!,
                }
              : undefined,
            signingSecret: env.SLACK_SIGNING_SECRET,
            appToken: env.SLACK_APP_TOKEN,
            apiUrl: env.SLACK_API_URL,
          }
        : undefined,
    shardLeaseMs: env.SHARD_LEASE_MS,
    shardTickMs: Math.max(200, Math.round(env.SHARD_LEASE_MS / 5)),
    worker: {
      concurrency: env.WORKER_CONCURRENCY,
      attempts: env.JOB_ATTEMPTS,
      lockMs: env.JOB_LOCK_MS,
      stalledIntervalMs: env.JOB_STALLED_INTERVAL_MS,
      maxStalls: env.JOB_MAX_STALLS,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    },
  };
}

/**
 * Names set in a `.env` file that the service does not read, each with the
 * known name it most likely meant: a misspelt variable would otherwise leave
 * its default in place in silence.
 */
export function unknownVariables(
  names: readonly string[],
): { readonly name: string; readonly suggestion?: string }[] {
  const known = new Set(ENV_NAMES);
  return names
    .filter((name) => !known.has(name))
    .map((name) => {
      const upper = name.toUpperCase();
      let best: { name: string; distance: number } | undefined;
      for (const candidate of ENV_NAMES) {
        const distance = editDistance(upper, candidate);
        if (!best || distance < best.distance) best = { name: candidate, distance };
      }
      // Close enough to be a slip of the keyboard, not another program's variable.
      const close = best && best.distance <= Math.max(2, Math.floor(name.length / 4));
      return close ? { name, suggestion: best!.name } : { name };
    });
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  return rows[a.length]![b.length]!;
}
