import { findCommand, unavailableReason } from './commands.js';
import type { FakeContext } from './context.js';
import { newMessage } from './message-input.js';
import { customIdsOf } from './components.js';
import { channelPayload, memberPayload, messagePayload, userPayload } from './payloads.js';
import { EVERYONE_PERMISSIONS } from './permissions.js';
import { interactionToken, snowflake } from './snowflake.js';
import type { FakeUser, StoredMessage } from './types.js';

export const EPHEMERAL = 1 << 6;
/** The "is thinking" state of a deferred reply until @original is edited. */
export const LOADING = 1 << 7;

export interface SendInteractionInput {
  /** 2 application command, 4 autocomplete. */
  type?: 2 | 4;
  name: string;
  options?: unknown[];
  /** Default: the channels that channel options (type 7) name, as Discord resolves them. */
  resolved?: unknown;
  channelId: string;
  /** Checked against the channel's guild when given. */
  guildId?: string;
  user: FakeUser;
  /** The member's permission bitfield in that channel. */
  permissions?: string;
  attachmentSizeLimit?: number;
  locale?: string;
}

export interface CallbackRecord {
  type: number;
  flags: number;
  data: Record<string, unknown>;
  at: number;
  /** From INTERACTION_CREATE dispatch to the callback request's arrival. */
  latencyMs: number;
}

export type CallbackOutcome =
  ({ acknowledged: true } & CallbackRecord) | { acknowledged: false; reason: 'deadline' };

/** Someone presses a button on a message (a MESSAGE_COMPONENT interaction, type 3). */
export interface PressButtonInput {
  messageId: string;
  customId: string;
  user: FakeUser;
  /** The member's permission bitfield in that channel. */
  permissions?: string;
}

export interface InteractionState {
  id: string;
  token: string;
  /** 2 application command, 3 message component, 4 autocomplete. */
  type: 2 | 3 | 4;
  /** The message whose button was pressed (type 3). */
  messageId?: string;
  name: string;
  commandId: string;
  channelId: string;
  guildId?: string;
  user: FakeUser;
  attachmentSizeLimit: number;
  dispatchedAt: number;
  deadlineAt: number;
  expiresAt: number;
  callback?: CallbackRecord;
  /** Callbacks refused: late (10062) or repeated (40060). */
  rejectedCallbacks: { at: number; status: number; code: number }[];
  original?: StoredMessage;
  followups: StoredMessage[];
}

export interface SentInteraction {
  id: string;
  token: string;
  /** Settles at the callback, or at the deadline when none came in time. */
  callback: Promise<CallbackOutcome>;
}

export interface Entry {
  state: InteractionState;
  settle: (o: CallbackOutcome) => void;
  timer: NodeJS.Timeout;
}

/** Interactions sent to the bot, by id and by token; the routes live in interaction-*.ts. */
export class Interactions {
  private readonly byId = new Map<string, Entry>();
  private readonly byToken = new Map<string, Entry>();

  constructor(private readonly ctx: FakeContext) {}

  get(id: string): InteractionState | undefined {
    return this.byId.get(id)?.state;
  }

  entry(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  entryByToken(token: string): Entry | undefined {
    return this.byToken.get(token);
  }

  close(): void {
    for (const e of this.byId.values()) clearTimeout(e.timer);
  }

  /**
   * A press of a button on a message. Discord sends a press only for a
   * button the message carries now: anything else throws here.
   */
  press(input: PressButtonInput): SentInteraction {
    const { state, options, gateway } = this.ctx;
    const m = state.message(input.messageId);
    if (!m || m.deleted) throw new Error(`message ${input.messageId} does not exist`);
    if (m.ephemeral) throw new Error('the fake does not press buttons on ephemeral messages');
    if (!customIdsOf(m.components).includes(input.customId))
      throw new Error(`message ${m.id} has no button ${input.customId}; Discord would not send it`);
    const ch = state.requireChannel(m.channelId);
    const user = state.rememberUser(input.user);
    const permissions = input.permissions ?? EVERYONE_PERMISSIONS;
    const now = Date.now();
    const s: InteractionState = {
      id: snowflake(now),
      token: interactionToken(),
      type: 3,
      messageId: m.id,
      name: input.customId,
      commandId: '',
      channelId: ch.id,
      ...(ch.guildId ? { guildId: ch.guildId } : {}),
      user,
      attachmentSizeLimit: options.fileSizeLimit,
      dispatchedAt: now,
      deadlineAt: now + options.interactionDeadlineMs,
      expiresAt: now + options.interactionTokenTtlMs,
      rejectedCallbacks: [],
      followups: [],
    };
    const callback = this.track(s);
    const payload = {
      id: s.id,
      application_id: options.applicationId,
      type: 3,
      token: s.token,
      version: 1,
      data: { custom_id: input.customId, component_type: 2 },
      message: messagePayload(state, m),
      ...this.who(ch, user, permissions),
      channel_id: ch.id,
      channel: { ...channelPayload(state, ch), ...(ch.guildId ? { permissions } : {}) },
      app_permissions: state.botPermissionsIn(ch).toString(),
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': ch.guildId ?? '0' },
      context: ch.guildId ? 0 : 1,
      attachment_size_limit: s.attachmentSizeLimit,
    };
    gateway.dispatch('INTERACTION_CREATE', ch.guildId, () => payload);
    return { id: s.id, token: s.token, callback };
  }

  /** The member (in a guild, with permissions) or the user (in a DM) who acted. */
  private who(ch: { guildId?: string; createdAt: number }, user: FakeUser, permissions: string) {
    return ch.guildId
      ? {
          member: {
            ...memberPayload(user, ch.createdAt),
            user: userPayload(user),
            permissions,
          },
          guild: { id: ch.guildId, locale: 'en-US', features: [] },
          guild_id: ch.guildId,
          guild_locale: 'en-US',
        }
      : { user: userPayload(user) };
  }

  /** Registers an interaction and its acknowledgement deadline. */
  private track(s: InteractionState): Promise<CallbackOutcome> {
    let settle!: (o: CallbackOutcome) => void;
    const callback = new Promise<CallbackOutcome>((resolve) => (settle = resolve));
    const timer = setTimeout(() => {
      if (!s.callback) settle({ acknowledged: false, reason: 'deadline' });
    }, this.ctx.options.interactionDeadlineMs);
    timer.unref();
    const entry: Entry = { state: s, settle, timer };
    this.byId.set(s.id, entry);
    this.byToken.set(s.token, entry);
    return callback;
  }

  send(input: SendInteractionInput): SentInteraction {
    const { state, options, gateway } = this.ctx;
    const ch = state.requireChannel(input.channelId);
    if (input.guildId !== undefined && input.guildId !== ch.guildId) {
      throw new Error(`channel ${ch.id} is not in guild ${input.guildId}`);
    }
    const user = state.rememberUser(input.user);
    const permissions = input.permissions ?? EVERYONE_PERMISSIONS;
    // Discord only sends interactions for commands it offers to this member here.
    const cmd = findCommand(state, input.name, ch.guildId);
    if (!cmd) throw new Error(`/${input.name} is not registered, Discord would not offer it`);
    const reason = unavailableReason(cmd, {
      ...(ch.guildId ? { guildId: ch.guildId } : {}),
      memberPermissions: BigInt(permissions),
    });
    if (reason) throw new Error(`/${input.name} is ${reason}`);

    const now = Date.now();
    const type = input.type ?? 2;
    const s: InteractionState = {
      id: snowflake(now),
      token: interactionToken(),
      type,
      name: input.name,
      commandId: cmd.id,
      channelId: ch.id,
      ...(ch.guildId ? { guildId: ch.guildId } : {}),
      user,
      attachmentSizeLimit: input.attachmentSizeLimit ?? options.fileSizeLimit,
      dispatchedAt: now,
      deadlineAt: now + options.interactionDeadlineMs,
      expiresAt: now + options.interactionTokenTtlMs,
      rejectedCallbacks: [],
      followups: [],
    };
    let settle!: (o: CallbackOutcome) => void;
    const callback = new Promise<CallbackOutcome>((resolve) => (settle = resolve));
    const timer = setTimeout(() => {
      if (!s.callback) settle({ acknowledged: false, reason: 'deadline' });
    }, options.interactionDeadlineMs);
    timer.unref();
    const entry: Entry = { state: s, settle, timer };
    this.byId.set(s.id, entry);
    this.byToken.set(s.token, entry);

    const member = ch.guildId
      ? {
          member: {
            ...memberPayload(user, ch.createdAt),
            user: userPayload(user),
            permissions,
          },
          guild: { id: ch.guildId, locale: 'en-US', features: [] },
          guild_id: ch.guildId,
          guild_locale: 'en-US',
        }
      : { user: userPayload(user) };
    const payload = {
      id: s.id,
      application_id: options.applicationId,
      type,
      token: s.token,
      version: 1,
      data: {
        id: cmd.id,
        name: cmd.name,
        type: 1,
        ...(input.options ? { options: input.options } : {}),
        ...resolvedFor(input, (id) => ({
          ...channelPayload(state, state.requireChannel(id)),
          permissions,
        })),
        ...(cmd.guild_id ? { guild_id: cmd.guild_id } : {}),
      },
      ...member,
      channel_id: ch.id,
      channel: { ...channelPayload(state, ch), ...(ch.guildId ? { permissions } : {}) },
      app_permissions: state.botPermissionsIn(ch).toString(),
      locale: input.locale ?? 'en-US',
      entitlements: [],
      // Guild-installed app: the key 0 holds the guild id, or "0" in the bot's DM.
      authorizing_integration_owners: { '0': ch.guildId ?? '0' },
      context: ch.guildId ? 0 : 1,
      attachment_size_limit: s.attachmentSizeLimit,
    };
    gateway.dispatch('INTERACTION_CREATE', ch.guildId, () => payload);
    return { id: s.id, token: s.token, callback };
  }
}

/** Option ids of type 7 (channel), at any depth of subcommands. */
function channelOptionIds(options: unknown[] | undefined): string[] {
  return (options ?? []).flatMap((option) => {
    const o = option as { type?: number; value?: unknown; options?: unknown[] };
    if (o.type === 7 && typeof o.value === 'string') return [o.value];
    return channelOptionIds(o.options);
  });
}

/**
 * `data.resolved` as given, or as Discord builds it: every channel a channel
 * option names (it must exist), with the invoking member's permissions there.
 */
function resolvedFor(
  input: SendInteractionInput,
  channel: (id: string) => Record<string, unknown>,
): { resolved?: unknown } {
  if (input.resolved) return { resolved: input.resolved };
  const ids = channelOptionIds(input.options);
  if (ids.length === 0) return {};
  return { resolved: { channels: Object.fromEntries(ids.map((id) => [id, channel(id)])) } };
}

/** Interaction replies and follow-ups: posted by the bot through the application's webhook. */
export function postAsInteraction(
  ctx: FakeContext,
  s: InteractionState,
  init: Partial<StoredMessage> & { flags: number },
): StoredMessage {
  const m = newMessage({
    channelId: s.channelId,
    ...(s.guildId ? { guildId: s.guildId } : {}),
    author: ctx.state.bot,
    content: '',
    ...init,
    ephemeral: Boolean(init.flags & EPHEMERAL),
    webhookId: ctx.options.applicationId,
    interaction: { id: s.id, type: s.type, user: s.user, name: s.name },
  });
  ctx.state.addMessage(m);
  ctx.events.created(m);
  return m;
}
