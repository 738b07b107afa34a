/**
 * The Slack gateway adapter: receives events and slash commands (signed HTTP
 * requests on /slack/events, or socket mode), turns them into jobs and
 * acknowledges them once queued. It does nothing slow itself: the one look-up
 * it makes (has the bot answered in this thread?) is cached and bounded.
 *
 * One workspace (SLACK_BOT_TOKEN), or any number in OAuth mode: there each
 * event's bot is the installation of its workspace (bolt's `authorize`), the
 * install flow's routes are served too, and `app_uninstalled` /
 * `tokens_revoked` remove the installation at once.
 */
import {
  App,
  HTTPReceiver,
  SocketModeReceiver,
  type RespondArguments,
  type SlashCommand,
} from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { RequestListener, ServerResponse } from 'node:http';
import { notQueued, type NoticeDeps } from '../../core/notice.js';
import { COMMAND_NOT_QUEUED } from '../../core/user-messages.js';
import { COMMAND_LIST } from '../../core/commands/index.js';
import { encodeConversationKey } from '../../core/conversation-key.js';
import type { CommandJob } from '../../core/jobs.js';
import { KnownConversations } from '../../core/known-conversations.js';
import type { ConversationPresence } from '../../core/ports.js';
import type { InteractionRef } from '../../core/surface.js';
import type { Logger } from '../../log.js';
import type { JobSink, RunningGateway } from '../platform.js';
import { slackLogger } from './client.js';
import { parseSlashCommand } from './command-text.js';
import {
  reportingSignatureFailures,
  slackAppTokenError,
  slackBotTokenError,
} from './credentials.js';
import {
  isFileShareMention,
  isFollowUpCandidate,
  isQuestion,
  messageEventId,
  placeOf,
  toChatJob,
  type IncomingSlackMessage,
} from './events.js';
import { SLACK_EVENTS_PATH } from './events-path.js';
import type { AssistantThreadStarted, SlackAssistant } from './assistant.js';
import { listenForButtonPresses } from './button-press.js';
import { encodeSlackInteraction } from './interaction-ref.js';
import type { SlackInstallations } from './installations.js';
import { botIdentities, installedBot, listenForUninstalls } from './installed-bots.js';
import { mentionedUserIds, slackToPlainText } from './text.js';
import type { SlackWorkspaces } from './workspaces.js';

export { SLACK_EVENTS_PATH };

/** Largest request body accepted on the events URL. */
export const SLACK_BODY_LIMIT = 1024 * 1024;

export interface SlackGatewayOptions {
  /** Single-workspace mode; unset in OAuth mode (`oauth`). */
  readonly botToken?: string;
  /** HTTP mode: checks every request's signature. */
  readonly signingSecret?: string;
  /** Socket mode: an app-level token (xapp-…) instead of a public request URL. */
  readonly appToken?: string;
  /** Slack Web API base, without the trailing slash. */
  readonly apiUrl: string;
  /** The start-up checks' client (auth.test of the bot token; the app token's check). */
  readonly client: WebClient;
  /** Each workspace's client, surface (answers to what could not be queued) and people. */
  readonly workspaces: SlackWorkspaces;
  /** OAuth mode: the installations, and the install flow's routes. */
  readonly oauth?: {
    readonly installations: Pick<SlackInstallations, 'identity' | 'remove' | 'noteEnterpriseTeam'>;
    readonly routes: Readonly<Record<string, RequestListener>>;
  };
  /** The budget, for the sentence about a question not queued (in the workspace's surface). */
  readonly notices: Omit<NoticeDeps, 'surface'>;
  readonly producer: JobSink;
  /** Slack's assistant threads: prompts when one starts, a title from its first question. */
  readonly assistant?: SlackAssistant;
  /** Where the answered threads are found: replies there are follow-ups. */
  readonly conversations: ConversationPresence;
  readonly log: Logger;
}

export async function startSlackGateway(options: SlackGatewayOptions): Promise<RunningGateway> {
  const { client, producer, log, workspaces } = options;
  // One auth.test at start: a bad token stops start-up with a clear reason.
  const auth = options.botToken
    ? await client.auth.test().catch((error: unknown) => {
        throw slackBotTokenError(error) ?? error;
      })
    : undefined;
  // Socket mode's app token, checked now: the socket client would only fail later, less clearly.
  if (options.appToken) {
    await client.apps.connections.open({ token: options.appToken }).catch((error: unknown) => {
      throw slackAppTokenError(error) ?? error;
    });
  }
  const threads = new KnownConversations(options.conversations, 'slack');
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
        logger: reportingSignatureFailures(logger, log),
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
  const oauth = options.oauth;
  const identities = botIdentities();
  const app = new App({
    ...(auth
      ? { token: options.botToken, botId: auth.bot_id, botUserId: auth.user_id }
      : { authorize: installedBot(oauth!.installations, identities) }),
    receiver,
    logger,
    clientOptions,
  });

  type Envelope = { event_id?: string; team_id?: string };
  /** Bolt's context: the bot of the event's workspace (none: the app is not installed there). */
  type Context = { botUserId?: string; teamId?: string };
  const teamOf = (body: Envelope, context: Context) =>
    body.team_id ?? context.teamId ?? auth?.team_id ?? '';

  /** A question for the bot: a mention, a DM, or a follow-up in a thread it answered in. */
  async function onQuestion(
    event: IncomingSlackMessage,
    body: Envelope,
    context: Context,
    what: string,
  ) {
    const botUserId = context.botUserId!;
    const teamId = teamOf(body, context);
    const { people } = workspaces.get(teamId);
    const raw = event.text ?? '';
    // Names this gateway already knows; a Web API call here would hold the
    // acknowledgement back (Slack retries past 3 s), so whoever it cannot
    // name yet is named by the worker, and looked up here for next time.
    const names = new Map<string, string>();
    const unnamed: string[] = [];
    for (const id of [event.user!, ...mentionedUserIds(raw).filter((m) => m !== botUserId)]) {
      const person = people.known(id);
      if (person) names.set(id, person.name);
      else if (!unnamed.includes(id)) unnamed.push(id);
    }
    const job = toChatJob(event, {
      teamId,
      authorName: names.get(event.user!) ?? event.user!,
      text: slackToPlainText(raw, { botUserId, userNames: names }),
      unnamed,
      receivedAt: new Date(Number(event.ts) * 1000),
    });
    try {
      // One message, one answer: Slack's retries of this event, and the new
      // app_mention an edit of the message sends, map to the same job.
      const result = await producer.enqueueChat(job, messageEventId(event));
      // From now on, the thread's replies are follow-ups for the bot.
      if (job.threadId) threads.joined(job.conversationKey);
      // Not awaited: named after the acknowledgement, on the shared budget.
      if (!result.duplicate)
        void options.assistant?.asked(
          { channelId: job.channelId, threadId: job.threadId, tenantId: job.tenantId },
          job.text,
        );
      log.info(
        { ...result, platform: job.platform, tenantId: job.tenantId },
        result.duplicate ? `Slack ${what} already queued` : `Slack ${what} queued`,
      );
    } catch (error) {
      // Not awaited: the event is acknowledged now; the sentence waits for its budget.
      void notQueued({ ...options.notices, surface: workspaces.get(teamId).surface }, job, error);
    }
    for (const id of unnamed) void people.get(id).catch(() => undefined);
  }

  /**
   * Whether the bot has answered in the thread of a reply. A store that
   * does not answer in time counts as "no": the reply is left alone, which
   * is what happens to every reply in a thread the bot is not part of.
   */
  async function answeredIn(event: IncomingSlackMessage): Promise<boolean> {
    try {
      return await threads.has(placeOf(event).conversationKey);
    } catch (error) {
      log.warn({ err: error, channel: event.channel }, 'could not tell if the bot is in a thread');
      return false;
    }
  }

  app.event('assistant_thread_started', async ({ event, body, context }) => {
    if (!context.botUserId) return;
    // Not awaited: the event is acknowledged now; the prompts wait for their budget.
    void options.assistant?.started(
      event as unknown as AssistantThreadStarted,
      teamOf(body, context),
    );
  });
  app.event('app_mention', async ({ event, body, context }) => {
    const message = event as IncomingSlackMessage;
    const botUserId = context.botUserId;
    if (botUserId && isQuestion(message, botUserId))
      await onQuestion(message, body, context, 'mention');
  });
  app.event('message', async ({ event, body, context }) => {
    const message = event as IncomingSlackMessage;
    const botUserId = context.botUserId;
    if (!botUserId) return;
    // DMs: every message of the person is a question.
    if (isQuestion(message, botUserId)) await onQuestion(message, body, context, 'mention');
    // A file shared with a mention, whose app_mention Slack may not send.
    else if (isFileShareMention(message, botUserId))
      await onQuestion(message, body, context, 'mention');
    // Channels: only replies in threads the bot answered in, without a mention.
    else if (isFollowUpCandidate(message, botUserId) && (await answeredIn(message)))
      await onQuestion(message, body, context, 'follow-up');
  });
  if (oauth) listenForUninstalls(app, oauth.installations, identities, log);
  else
    app.event('app_uninstalled', async () => {
      log.warn('the Slack app was uninstalled from its workspace: SLACK_BOT_TOKEN no longer works');
    });

  async function onCommand(
    command: SlashCommand,
    ack: (response?: RespondArguments) => Promise<void>,
    context: Context,
  ): Promise<void> {
    const parsed = parseSlashCommand(command.command, command.text);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: parsed.message });
      return;
    }
    const { working } = parsed.action;
    await ack(working ? { response_type: 'ephemeral', text: working } : undefined);
    let interaction: InteractionRef | undefined;
    // The installation's workspace (Slack Connect: the person may be of another one).
    const teamId = context.teamId ?? command.team_id;
    const { people, surface } = workspaces.get(teamId);
    try {
      interaction = encodeSlackInteraction({
        responseUrl: command.response_url,
        channelId: command.channel_id,
      });
      // Who it is only where this gateway knows already: a users.info here
      // would hold the acknowledgement back; the worker looks up the rest.
      const actor = people.known(command.user_id);
      const job: CommandJob = {
        v: 1,
        platform: 'slack',
        tenantId: teamId,
        channelId: command.channel_id,
        // /forget clears the channel and every thread in it.
        conversationKey: encodeConversationKey({ channelId: command.channel_id }),
        interaction,
        actor: actor
          ? { id: actor.id, name: actor.name, isAdmin: actor.isAdmin }
          : { id: command.user_id, name: command.user_name || command.user_id, isAdmin: false },
        ...(actor ? {} : { actorPending: true }),
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
      if (interaction) {
        await surface.respond(interaction, { text: COMMAND_NOT_QUEUED }).catch(() => undefined);
      }
    }
    // Looked up now, off the acknowledgement's path, for the next command.
    void people.get(command.user_id).catch(() => undefined);
  }

  listenForButtonPresses(app, {
    producer,
    workspaces,
    teamId: auth?.team_id,
    log,
  });
  for (const { name } of COMMAND_LIST) {
    app.command(`/${name}`, async ({ command, ack, context }) => onCommand(command, ack, context));
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
    routes: {
      ...oauth?.routes,
      ...(httpReceiver
        ? { [SLACK_EVENTS_PATH]: closingOn413(httpReceiver.requestListener, SLACK_BODY_LIMIT) }
        : {}),
    },
    close: async () => {
      if (options.appToken) await app.stop();
    },
  };
}

/**
 * Bolt refuses a body over the limit with 413 without reading the rest of it:
 * the connection closes with the answer, or a client that reuses it (a
 * reverse proxy) would send its next request into the unread body. A body
 * declared too large is refused before bolt sees it.
 */
export function closingOn413(listener: RequestListener, limit: number): RequestListener {
  return (req, res) => {
    if (Number(req.headers['content-length']) > limit) {
      res.writeHead(413, { connection: 'close' }).end();
      return;
    }
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      if (status === 413) res.setHeader('connection', 'close');
      return writeHead(status, ...rest);
    }) as ServerResponse['writeHead'];
    listener(req, res);
  };
}
