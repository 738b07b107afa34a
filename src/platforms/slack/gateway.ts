/**
 * The Slack gateway adapter: receives events and slash commands (signed HTTP
 * requests on /slack/events, or socket mode), turns them into jobs and
 * acknowledges them once queued. It does nothing slow itself.
 */
import {
  App,
  HTTPReceiver,
  SocketModeReceiver,
  type RespondArguments,
  type SlashCommand,
} from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { FloodError } from '../../core/flood.js';
import type { CommandJob, CommandName } from '../../core/jobs.js';
import type { InteractionSurface } from '../../core/surface.js';
import type { Logger } from '../../log.js';
import type { JobSink, RunningGateway } from '../platform.js';
import { slackLogger } from './client.js';
import { parseImagineText, parseSettingsText, SLASH_COMMANDS } from './command-text.js';
import { isQuestion, toChatJob, type IncomingSlackMessage } from './events.js';
import { SlackPeople } from './people.js';
import { mentionedUserIds, slackToPlainText } from './text.js';

/** The path Slack posts events and slash commands to (the manifest's request URL). */
export const SLACK_EVENTS_PATH = '/slack/events';

/** Largest request body accepted on the events URL. */
export const SLACK_BODY_LIMIT = 1024 * 1024;

const NOT_QUEUED = '⚠️ I could not take your question right now. Please try again in a minute.';
const COMMAND_NOT_QUEUED =
  '⚠️ I could not take this command right now. Please try again in a minute.';

export interface SlackGatewayOptions {
  readonly botToken: string;
  /** HTTP mode: checks every request's signature. */
  readonly signingSecret?: string;
  /** Socket mode: an app-level token (xapp-…) instead of a public request URL. */
  readonly appToken?: string;
  /** Slack Web API base, without the trailing slash. */
  readonly apiUrl: string;
  readonly client: WebClient;
  /** Answers a command that could not be queued, through its response_url. */
  readonly surface: Pick<InteractionSurface, 'respond'>;
  readonly producer: JobSink;
  readonly log: Logger;
}

export async function startSlackGateway(options: SlackGatewayOptions): Promise<RunningGateway> {
  const { client, producer, log } = options;
  // One auth.test at start: a bad token stops start-up with a clear reason.
  const auth = await client.auth.test();
  const botUserId = auth.user_id!;
  const people = new SlackPeople(client);
  const logger = slackLogger(log);
  const clientOptions = { slackApiUrl: `${options.apiUrl}/` };

  const receiver = options.appToken
    ? new SocketModeReceiver({
        appToken: options.appToken,
        logger,
        installerOptions: { clientOptions },
      })
    : new HTTPReceiver({
        signingSecret: options.signingSecret ?? '',
        endpoints: SLACK_EVENTS_PATH,
        logger,
        // An event is acknowledged once its job is queued (or kept by the
        // outbox, which answers at once while the queue is away): a process
        // that dies in between leaves it unacknowledged, and Slack's retry
        // (same event id, same job) queues it. Commands call ack() first and
        // their answer goes out when the handler ends, after the same few ms.
        processBeforeResponse: true,
        // Slack's largest payloads (a 40,000-character message with its blocks) stay well
        // under this; anything bigger is refused with 413 before it is read further.
        bodyLimit: SLACK_BODY_LIMIT,
      });
  const app = new App({
    token: options.botToken,
    receiver,
    botId: auth.bot_id,
    botUserId,
    logger,
    clientOptions,
  });

  async function onMessage(
    event: IncomingSlackMessage,
    body: { event_id?: string; team_id?: string },
  ) {
    if (!isQuestion(event, botUserId)) return;
    const raw = event.text ?? '';
    const [author, names] = await Promise.all([
      people.get(event.user!).catch(() => undefined),
      people.names(mentionedUserIds(raw).filter((id) => id !== botUserId)),
    ]);
    const job = toChatJob(event, {
      teamId: body.team_id ?? auth.team_id!,
      authorName: author?.name ?? event.user!,
      text: slackToPlainText(raw, { botUserId, userNames: names }),
      receivedAt: new Date(Number(event.ts) * 1000),
    });
    try {
      // The envelope's event id: Slack's retries of this event map to the same job.
      const result = await producer.enqueueChat(
        job,
        body.event_id ?? `${event.channel}-${event.ts}`,
      );
      log.info(
        { ...result, platform: job.platform, tenantId: job.tenantId },
        'Slack mention queued',
      );
    } catch (error) {
      // A flood refusal is logged where it is decided.
      if (!(error instanceof FloodError))
        log.error({ err: error, channel: event.channel }, 'could not enqueue a Slack message');
      await client.chat
        .postMessage({
          channel: job.channelId,
          ...(job.threadId ? { thread_ts: job.threadId } : {}),
          markdown_text: error instanceof FloodError ? error.message : NOT_QUEUED,
        })
        .catch(() => undefined);
    }
  }

  app.event('app_mention', async ({ event, body }) => {
    await onMessage(event as IncomingSlackMessage, body);
  });
  app.event('message', async ({ event, body }) => {
    await onMessage(event as IncomingSlackMessage, body);
  });

  async function onCommand(
    command: SlashCommand,
    ack: (response?: RespondArguments) => Promise<void>,
  ): Promise<void> {
    const parsed = parseCommand(command);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: parsed.message });
      return;
    }
    await ack(
      parsed.name === 'imagine'
        ? { response_type: 'ephemeral', text: '🎨 Generating…' }
        : undefined,
    );
    try {
      const actor = await people.get(command.user_id);
      const job: CommandJob = {
        v: 1,
        platform: 'slack',
        tenantId: command.team_id,
        channelId: command.channel_id,
        // /forget clears the channel and every thread in it.
        conversationKey: command.channel_id,
        interaction: {
          responseUrl: command.response_url,
          channelId: command.channel_id,
          userId: command.user_id,
        },
        actor: { id: actor.id, name: actor.name, isAdmin: actor.isAdmin },
        command: parsed.name,
        options: parsed.options,
        receivedAt: new Date().toISOString(),
      };
      const result = await producer.enqueueCommand(job, command.trigger_id);
      log.info(
        { ...result, platform: job.platform, tenantId: job.tenantId, command: parsed.name },
        'Slack command queued',
      );
    } catch (error) {
      log.error({ err: error, command: parsed.name }, 'could not enqueue a Slack command');
      await options.surface
        .respond({ responseUrl: command.response_url }, { text: COMMAND_NOT_QUEUED })
        .catch(() => undefined);
    }
  }

  for (const { command: name } of SLASH_COMMANDS) {
    app.command(name, async ({ command, ack }) => onCommand(command, ack));
  }
  app.error(async (error) => {
    log.error({ err: error }, 'Slack listener failed');
  });

  if (options.appToken) {
    await app.start();
    log.info({ mode: 'socket' }, 'Slack gateway ready');
  } else {
    log.info({ mode: 'http', path: SLACK_EVENTS_PATH }, 'Slack gateway ready');
  }
  const httpReceiver = receiver instanceof HTTPReceiver ? receiver : undefined;
  return {
    routes: httpReceiver ? { [SLACK_EVENTS_PATH]: httpReceiver.requestListener } : undefined,
    close: async () => {
      if (options.appToken) await app.stop();
    },
  };
}

type ParsedCommand =
  | { ok: true; name: CommandName; options: Record<string, string | number> }
  | { ok: false; message: string };

/** A slash command's text, read into the command the core runs and its options. */
export function parseCommand(command: Pick<SlashCommand, 'command' | 'text'>): ParsedCommand {
  switch (command.command) {
    case '/imagine': {
      const parsed = parseImagineText(command.text);
      return parsed.ok ? { ok: true, name: 'imagine', options: parsed.options } : parsed;
    }
    case '/settings': {
      const parsed = parseSettingsText(command.text);
      return parsed.ok ? { ok: true, name: parsed.command, options: parsed.options } : parsed;
    }
    case '/forget':
      return { ok: true, name: 'forget', options: {} };
    case '/usage':
      return { ok: true, name: 'usage', options: {} };
    default:
      return { ok: false, message: `Unknown command ${command.command}.` };
  }
}
