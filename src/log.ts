import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** `json`: one JSON object a line, for log collectors; `pretty`: lines for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/**
 * Paths whose values never reach a log line: the Chutes key, platform tokens
 * and any authorization header a library error may carry.
 */
const REDACT = [
  'apiKey',
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'refreshToken',
  'clientSecret',
  'authorization',
  '*.apiKey',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.refreshToken',
  '*.clientSecret',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.chutes.apiKey',
  'config.discord.token',
  'config.slack.botToken',
  'config.slack.signingSecret',
  'config.slack.appToken',
  'config.slack.oauth.clientSecret',
  'config.slack.oauth.stateSecret',
  'config.slack.oauth.encryptionKey',
];

export function createLogger(
  level: string,
  secrets: readonly string[] = [],
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  const known = secrets.filter((s) => s.length >= 8);
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: {
        // A secret can also hide inside free text (an error message quoting a
        // request); scrub every string argument of the log call.
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) {
            const arg = args[i];
            if (typeof arg === 'string') args[i] = scrub(arg, known);
          }
          method.apply(this, args as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (err: unknown) => {
          if (!(err instanceof Error)) return err;
          // Library errors carry request URLs and bodies as extra fields: scrub them all.
          return JSON.parse(scrub(JSON.stringify(pino.stdSerializers.err(err)), known)) as unknown;
        },
      },
    },
    format === 'pretty' ? prettyStream(destination) : (destination ?? pino.destination(1)),
  );
}

/**
 * The same records (redacted and scrubbed above) as readable lines: the
 * time, the level and the message, then each field on a line of its own;
 * colours only where the output is a terminal that takes them. Written
 * synchronously, as the JSON is: nothing is lost when the process exits.
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  // Loaded only for pretty output (a CommonJS module, so synchronously).
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty({
    sync: true,
    destination: destination ?? 1,
    // NO_COLOR and a dumb terminal turn colours off (colorette's check).
    colorize: destination === undefined && process.stdout.isTTY && pretty.isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/**
 * Interaction tokens travel in URL paths: `/webhooks/{app id}/{token}/…` and
 * `/interactions/{interaction id}/{token}/callback`.
 */
const INTERACTION_TOKEN = /(\/(?:webhooks|interactions)\/\d+\/)[^/?\s"']+/g;
/** A Slack slash command's `response_url` (`…/commands/{team}/{id}/{secret}`) answers for anyone holding it. */
const RESPONSE_URL = /(\/commands\/)[^?\s"']+/g;

/**
 * Slack tokens (`xoxb-…`, rotating `xoxe.xoxb-…`, refresh `xoxe-…`): the
 * installations' tokens are not known at start, so they are scrubbed by shape.
 */
const SLACK_TOKEN = /\bxox[a-z]?[.-][A-Za-z0-9.-]+/g;

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text
    .replace(INTERACTION_TOKEN, '$1[redacted]')
    .replace(RESPONSE_URL, '$1[redacted]')
    .replace(SLACK_TOKEN, '[redacted]');
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}
