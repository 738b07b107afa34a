/**
 * A fake Slack speaking the real wire protocols on one local port: the Web
 * API under `/api/` (for `new WebClient(token, { slackApiUrl: fake.apiUrl })`),
 * upload URLs, response URLs, and socket mode; inbound, it signs and posts
 * events and slash commands to the service (or sends them over socket mode).
 *
 *   const slack = await startFakeSlack({ users, channels, eventsUrl?, rates? })
 *   slack.apiUrl                                     `http://127.0.0.1:PORT/api/`
 *   slack.setEventsUrl(url)                          the service's `/slack/events`
 *   slack.addUserMessage({ channel, user, text, threadTs? })            stored only
 *   slack.sendMessage({ channel, user, text, threadTs? }) -> { ts, mention?, message? }
 *     a person posts; the events Slack delivers by the app's subscriptions (manifest.json)
 *   slack.sendMention({ channel, user, text, threadTs?, eventId?, transport?, signing? })
 *   slack.sendDm({ channel: 'D…', user, text, threadTs? })
 *   slack.sendMessageEvent({ channel, bot_id, … }, opts?)
 *     -> { ts, eventId, delivery: Promise<DeliveryResult> }
 *   slack.sendEvent({ type: 'app_uninstalled' | 'tokens_revoked', … })   any event that is not a message
 *   slack.redeliver(eventId, { retryNum?, reason? })                 same envelope, retry headers
 *   slack.runCommand({ command, text, user, channel }) -> { id, responseUrl, ack: Promise<CommandAck> }
 *   slack.commandResponses(id)                        ack body first, then response_url posts
 *   slack.pressButton({ channel, ts, actionId, user }) -> { id, responseUrl, ack }   block_actions;
 *     throws unless the message carries that button; its response_url answers in commandResponses(id)
 *   slack.pressFeedback({ channel, ts, vote: 'positive' | 'negative', user })   the message's
 *     feedback_buttons (context_actions block); the action is typed feedback_buttons with that button's value
 *   slack.verifyUrl()                                 url_verification challenge
 *   slack.stopStreamByUser(channel, ts)               the user pressed "stop"
 *   slack.messages(channel, { threadTs?, includeDeleted? }) / botMessages(channel, threadTs?) / message(channel, ts)
 *   slack.files / statuses / status(channel, threadTs) / ephemerals
 *   slack.requests / rateLimited / deliveries / unacknowledged / socketConnections
 *   await slack.waitFor(() => value, timeoutMs?, what?)     polls until truthy, returns it
 *   await slack.close()
 *
 * Strict like Slack: tokens by type (`not_authed`, `invalid_auth`,
 * `not_allowed_token_type`), per-method tiers and per-channel postMessage
 * limits with 429 + Retry-After, `markdown_text` rules (12,000,
 * `markdown_text_conflict`), `text` truncation at 40,000 and the 4,000 limit
 * of chat.update, threads that must exist, editing only the bot's messages,
 * streams (thread and recipients, cumulative 12,000, one content form,
 * lifetime, user stop, no edit while streaming), uploads whose bytes must
 * match, response_url uses and lifetime, signed deliveries and the 3 s ack.
 */
import { waitFor } from '../shared.js';
import type { AddressInfo } from 'node:net';
import { chatMethods } from './chat-methods.js';
import { Commands, type RunCommandInput, type SentCommand } from './commands.js';
import {
  Actions,
  type PressButtonInput,
  type PressFeedbackInput,
  type SentPress,
} from './actions.js';
import type { FakeContext } from './context.js';
import {
  Deliverer,
  type DeliveryOptions,
  type DeliveryRecord,
  type DeliveryResult,
} from './delivery.js';
import {
  Events,
  type RedeliverOptions,
  type PostedMessage,
  type SendMentionInput,
  type SentEvent,
  type UnacknowledgedRecord,
  type UserMessageInput,
} from './events.js';
import { fileMethods } from './file-methods.js';
import { slackId } from './ids.js';
import { infoMethods } from './info-methods.js';
import { HttpServer } from './server.js';
import { SocketMode, type SocketConnectionInfo } from './socket-mode.js';
import { statusMethods } from './status-methods.js';
import { assistantMethods, type PromptsRecord, type TitleRecord } from './assistant-methods.js';
import { FakeState, type MessageQuery, type PingRecord } from './state.js';
import { stopByUser, streamMethods } from './stream-methods.js';
import type { SharedFile } from './shared-files.js';
import { checkSubscriptions, manifestSubscriptions } from './subscriptions.js';
import type {
  CommandResponse,
  EphemeralRecord,
  FakeSlackOptions,
  RateLimitRecord,
  RateSpec,
  RequestLogEntry,
  ResolvedOptions,
  StatusRecord,
  StoredFile,
  StoredMessage,
  TieredMethod,
} from './types.js';
import { WebApi } from './web-api.js';

export type * from './types.js';
export type { CommandAck, RunCommandInput, SentCommand } from './commands.js';
export type { PressButtonInput, PressFeedbackInput, SentPress } from './actions.js';
export type { DeliveryOptions, DeliveryRecord, DeliveryResult } from './delivery.js';
export type {
  PostedMessage,
  RedeliverOptions,
  SendMentionInput,
  SentEvent,
  UnacknowledgedRecord,
  UserMessageInput,
} from './events.js';
export type { SigningOptions } from './signing.js';
export { STALE_SECONDS, signatureHeaders } from './signing.js';
export type { SocketConnectionInfo } from './socket-mode.js';
export type { EventSubscriptions } from './subscriptions.js';
export { manifestSubscriptions } from './subscriptions.js';
export type { SharedFile, SharedFileInput } from './shared-files.js';
export type { MessageQuery, PingRecord } from './state.js';

export interface UrlVerification {
  status: number;
  body: unknown;
  challenge: string;
  /** The service echoed the challenge. */
  ok: boolean;
}

export interface FakeSlack {
  /** The WebClient's `slackApiUrl`; ends with `/api/`. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  readonly options: ResolvedOptions;
  setEventsUrl(url: string): void;

  addUserMessage(input: UserMessageInput): StoredMessage;
  /**
   * A person posts a message: stored, then the `app_mention` and `message`
   * events the app's subscriptions receive (each undefined when none is sent).
   */
  sendMessage(input: SendMentionInput): PostedMessage;
  sendMention(input: SendMentionInput): SentEvent;
  sendDm(input: SendMentionInput): SentEvent;
  /** A person edits their message: `message_changed`, and a new `app_mention` if it mentions the bot. */
  editMessage(input: { channel: string; ts: string; text: string }): SentEvent[];
  sendMessageEvent(
    fields: Record<string, unknown> & { channel: string },
    opts?: DeliveryOptions & { eventId?: string },
  ): SentEvent;
  /** An event that is not a message (`app_uninstalled`, `tokens_revoked`), sent to every app. */
  sendEvent(
    event: Record<string, unknown> & { type: string },
    opts?: DeliveryOptions,
  ): { eventId: string; delivery: Promise<DeliveryResult> };
  redeliver(eventId: string, opts?: RedeliverOptions): Promise<DeliveryResult>;
  runCommand(input: RunCommandInput): SentCommand;
  /** Someone presses a button the message carries (throws for one it does not). */
  pressButton(input: PressButtonInput): SentPress;
  /** Someone presses 👍 or 👎 of the message's feedback buttons. */
  pressFeedback(input: PressFeedbackInput): SentPress;
  commandResponses(id: string): CommandResponse[];
  verifyUrl(opts?: DeliveryOptions): Promise<UrlVerification>;
  readonly deliveries: readonly DeliveryRecord[];
  readonly unacknowledged: readonly UnacknowledgedRecord[];

  stopStreamByUser(channel: string, ts: string): void;

  /** Messages in a channel, oldest first, thread replies included (or one thread with `threadTs`). */
  messages(channel: string, query?: MessageQuery): StoredMessage[];
  /** The bot's live messages in a channel, or in one thread. */
  botMessages(channel: string, threadTs?: string): StoredMessage[];
  message(channel: string, ts: string): StoredMessage | undefined;
  /** Files shared by `files.completeUploadExternal`, oldest first. */
  readonly files: readonly StoredFile[];
  /** Files people shared with their messages (`files` of sendMessage and the like), with their downloads. */
  readonly sharedFiles: readonly SharedFile[];
  /** Every `assistant.threads.setStatus`, with when and why it was cleared. */
  readonly statuses: readonly StatusRecord[];
  /** Every assistant thread title and suggested prompts set, oldest first. */
  readonly titles: readonly TitleRecord[];
  readonly suggestedPrompts: readonly PromptsRecord[];
  /**
   * A person opens the app's assistant pane (the AI-app split view): a new
   * thread in their DM with the app, and an `assistant_thread_started` event
   * (needs the `assistant:write` scope and the subscription). `context` is
   * the channel they were looking at.
   */
  startAssistantThread(input: { user: string; dm: string; context?: string }): SentEvent;
  /** The status shown under a thread now. */
  status(channel: string, threadTs: string): string | undefined;
  readonly ephemerals: readonly EphemeralRecord[];
  /** Notifications the app's messages set off (`<!channel>`, `<!subteam^…>`, `<@U…>`): none, ever. */
  readonly pings: readonly PingRecord[];
  /** Set a method's delay (ms) to make the Web API slow for it: `slack.methodDelayMs['users.info'] = 4000`. */
  readonly methodDelayMs: Record<string, number>;
  readonly requests: readonly RequestLogEntry[];
  readonly rateLimited: readonly RateLimitRecord[];

  readonly socketConnections: readonly SocketConnectionInfo[];
  /** Sends socket mode's `disconnect` message: clients reconnect through apps.connections.open. */
  requestSocketReconnect(reason?: string): void;
  dropSocketConnections(): void;

  waitFor<T>(
    check: () => T | Promise<T>,
    timeoutMs?: number,
    what?: string,
  ): Promise<NonNullable<T>>;
  close(): Promise<void>;
}

const MINUTE = 60_000;
const GiB = 1024 ** 3;

/** Per minute; Slack's tiers (2: 20+, 3: 50+, 4: 100+). setStatus's tier is an assumption. */
export const DEFAULT_TIER_POINTS: Record<TieredMethod, number> = {
  'chat.update': 50,
  'chat.delete': 50,
  'chat.postEphemeral': 100,
  'chat.startStream': 20,
  'chat.appendStream': 100,
  'chat.stopStream': 20,
  'assistant.threads.setStatus': 100,
  // Tier 4 (docs.slack.dev method pages).
  'assistant.threads.setTitle': 100,
  'assistant.threads.setSuggestedPrompts': 100,
  'users.info': 100,
  'files.getUploadURLExternal': 20,
  'files.completeUploadExternal': 20,
};

function resolve(o: FakeSlackOptions): ResolvedOptions {
  const tiers: Record<string, RateSpec> = {};
  for (const [method, points] of Object.entries(DEFAULT_TIER_POINTS)) {
    tiers[method] = o.rates?.methods?.[method as TieredMethod] ?? {
      points,
      windowMs: o.rates?.windowMs ?? MINUTE,
    };
  }
  return {
    botToken: o.botToken ?? 'xoxb-test',
    signingSecret: o.signingSecret ?? 'test-signing-secret',
    appToken: o.appToken ?? 'xapp-test',
    verificationToken: o.verificationToken ?? 'fake-verification-token',
    teamId: o.teamId ?? 'T0000000001',
    enterpriseId: o.enterpriseId,
    enterpriseInstall: o.enterpriseInstall ?? false,
    teamDomain: o.teamDomain ?? 'fake-workspace',
    teamName: o.teamName ?? 'Fake Workspace',
    botUserId: o.botUserId ?? 'U0BOT00001',
    botId: o.botId ?? 'B0BOT00001',
    botName: o.botName ?? 'chutes',
    appId: o.appId ?? 'A0APP00001',
    users: o.users ?? [],
    channels: o.channels ?? [],
    eventsUrl: o.eventsUrl,
    tiers,
    postMessagePerChannel: o.rates?.postMessagePerChannel ?? { points: 3, windowMs: 3000 },
    streamLifetimeMs: o.streamLifetimeMs ?? 5 * MINUTE,
    streamingEnabled: o.streamingEnabled ?? true,
    streamModeLock: o.streamModeLock ?? true,
    dmStreamsNeedRecipients: o.dmStreamsNeedRecipients ?? true,
    ackDeadlineMs: o.ackDeadlineMs ?? 3000,
    retryUnacknowledged: o.retryUnacknowledged ?? false,
    retryDelaysMs: o.retryDelaysMs ?? [0, MINUTE, 5 * MINUTE],
    transport: o.transport ?? 'auto',
    maxUploadBytes: o.maxUploadBytes ?? GiB,
    responseUrlMaxUses: o.responseUrlMaxUses ?? 5,
    responseUrlTtlMs: o.responseUrlTtlMs ?? 30 * MINUTE,
    statusTimeoutMs: o.statusTimeoutMs ?? 2 * MINUTE,
    socketPingIntervalMs: o.socketPingIntervalMs ?? 10_000,
    subscriptions: o.subscriptions ?? manifestSubscriptions(),
  };
}

export async function startFakeSlack(input: FakeSlackOptions = {}): Promise<FakeSlack> {
  const options = resolve(input);
  checkSubscriptions(options.subscriptions);
  const state = new FakeState(options);
  const ctx: FakeContext = { options, state };
  const socket = new SocketMode(ctx);
  const deliverer = new Deliverer(ctx, socket);
  const events = new Events(ctx, deliverer);
  const commands = new Commands(ctx, deliverer);
  const actions = new Actions(ctx, deliverer, commands);
  const api = new WebApi(ctx, {
    ...infoMethods(ctx, () => socket.openUrl()),
    ...chatMethods(ctx),
    ...streamMethods(ctx),
    ...statusMethods(ctx),
    ...assistantMethods(ctx),
    ...fileMethods(ctx),
  });
  const server = new HttpServer(ctx, api, commands, socket);
  await new Promise<void>((done) => server.http.listen(0, '127.0.0.1', done));
  const { port } = server.http.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}`;
  socket.wsBase = `ws://127.0.0.1:${port}`;

  return {
    apiUrl: `${state.baseUrl}/api/`,
    baseUrl: state.baseUrl,
    options,
    setEventsUrl(url) {
      deliverer.eventsUrl = url;
    },
    addUserMessage: (m) => events.addUserMessage(m),
    sendMessage: (m) => events.sendMessage(m),
    sendMention: (m) => events.sendMention(m),
    sendDm: (m) => events.sendDm(m),
    editMessage: (m) => events.editMessage(m),
    sendMessageEvent: (fields, opts) => events.sendMessageEvent(fields, opts),
    sendEvent: (event, opts) => events.sendEvent(event, opts),
    redeliver: (eventId, opts) => events.redeliver(eventId, opts),
    runCommand: (c) => commands.run(c),
    pressButton: (p) => actions.press(p),
    pressFeedback: (p) => actions.pressFeedback(p),
    commandResponses: (id) => commands.responses(id),
    async verifyUrl(opts) {
      const challenge = slackId('', 32);
      const result = await deliverer.deliver(
        'url_verification',
        { token: options.verificationToken, challenge, type: 'url_verification' },
        challenge,
        opts,
      );
      const echoed = (result.body as { challenge?: unknown } | undefined)?.challenge;
      return { status: result.status, body: result.body, challenge, ok: echoed === challenge };
    },
    deliveries: deliverer.log,
    unacknowledged: events.unacknowledged,
    stopStreamByUser: (channel, ts) => stopByUser(ctx, channel, ts),
    messages: (channel, q) => state.messages(channel, q),
    botMessages: (channel, threadTs) =>
      state
        .messages(channel, threadTs !== undefined ? { threadTs } : {})
        .filter((m) => m.user === options.botUserId && m.botId === options.botId),
    message: (channel, ts) => state.message(channel, ts),
    get sharedFiles() {
      return [...state.sharedFiles.values()];
    },
    get files() {
      return [...state.files.values()]
        .filter((f) => f.completedAt !== undefined)
        .sort((a, b) => (a.completedAt ?? 0) - (b.completedAt ?? 0));
    },
    statuses: state.statuses,
    titles: state.titles,
    suggestedPrompts: state.prompts,
    startAssistantThread: (input) => events.startAssistantThread(input),
    status: (channel, threadTs) => state.status(channel, threadTs)?.status,
    ephemerals: state.ephemerals,
    pings: state.pings,
    methodDelayMs: state.methodDelayMs,
    requests: api.requests,
    rateLimited: api.rateLimited,
    socketConnections: socket.connections,
    requestSocketReconnect: (reason) => socket.requestReconnect(reason),
    dropSocketConnections: () => socket.dropConnections(),
    waitFor: (check, timeoutMs, what) => waitFor('fake-slack', check, timeoutMs, what),
    async close() {
      events.close();
      deliverer.close();
      await socket.close();
      server.http.closeAllConnections();
      await new Promise<void>((done) => server.http.close(() => done()));
    },
  };
}
