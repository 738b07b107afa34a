import { signedQuery } from './cdn.js';
import { Locale } from 'discord.js';
import type {
  APIAttachment,
  APIGuildMember,
  APIMessage,
  APIRole,
  APIUser,
  GatewayGuildCreateDispatchData,
  GuildMemberFlags,
  GuildSystemChannelFlags,
  RoleFlags,
  UserFlags,
} from 'discord.js';
import { isThread, type ChannelState, type FakeState, type GuildState } from './state.js';
import type { FakeUser, StoredAttachment, StoredMessage } from './types.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function userPayload(u: FakeUser): APIUser {
  return {
    id: u.id,
    username: u.username,
    discriminator: '0',
    global_name: u.globalName ?? null,
    avatar: null,
    public_flags: 0 as UserFlags,
    ...(u.bot ? { bot: true } : {}),
  };
}

export function memberPayload(
  user: FakeUser,
  joinedAt: number,
  roles: string[] = [],
): Omit<APIGuildMember, 'user'> {
  return {
    roles,
    joined_at: iso(joinedAt),
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    nick: null,
    avatar: null,
    banner: null,
    premium_since: null,
    pending: false,
    communication_disabled_until: null,
  };
}

function rolePayload(id: string, name: string, permissions: bigint, botId?: string): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: botId ? 1 : 0,
    permissions: permissions.toString(),
    managed: Boolean(botId),
    mentionable: false,
    flags: 0 as RoleFlags,
    ...(botId ? { tags: { bot_id: botId } } : {}),
  };
}

/** Loosely typed: discord-api-types' channel unions fight literal objects more than they help. */
export type ChannelWire = Record<string, unknown>;

export function channelPayload(state: FakeState, ch: ChannelState): ChannelWire {
  if (ch.type === 1) {
    return {
      id: ch.id,
      type: 1,
      name: null,
      last_message_id: null,
      recipients: ch.recipient ? [userPayload(ch.recipient)] : [],
      flags: 0,
    };
  }
  const base = {
    id: ch.id,
    type: ch.type,
    guild_id: ch.guildId,
    name: ch.name,
    flags: 0,
    rate_limit_per_user: 0,
    last_message_id: state.messages(ch.id).at(-1)?.id ?? null,
  };
  if (isThread(ch)) {
    return {
      ...base,
      parent_id: ch.parentId ?? null,
      owner_id: ch.ownerId ?? state.guilds.get(ch.guildId ?? '')?.ownerId ?? state.bot.id,
      member_count: 1,
      message_count: state.messages(ch.id).length,
      total_message_sent: state.messages(ch.id).length,
      thread_metadata: {
        archived: false,
        auto_archive_duration: 1440,
        archive_timestamp: iso(ch.createdAt),
        locked: false,
        create_timestamp: iso(ch.createdAt),
      },
    };
  }
  return {
    ...base,
    position: 0,
    parent_id: null,
    nsfw: false,
    topic: null,
    permission_overwrites: overwrites(state, ch),
  };
}

/** A channel-level bot permission set travels as a member overwrite, so discord.js computes the same. */
function overwrites(state: FakeState, ch: ChannelState): unknown[] {
  if (ch.botPermissions === undefined || !ch.guildId) return [];
  const base = state.guildPermissions(ch.guildId);
  return [
    {
      id: state.bot.id,
      type: 1,
      allow: (ch.botPermissions & ~base).toString(),
      deny: (base & ~ch.botPermissions).toString(),
    },
  ];
}

export function guildCreatePayload(
  state: FakeState,
  g: GuildState,
): GatewayGuildCreateDispatchData {
  const id = g.config.id;
  const channels = state.channelsOf(id);
  return {
    id,
    name: g.config.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: g.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      rolePayload(id, '@everyone', g.everyonePermissions),
      rolePayload(g.botRoleId, state.bot.username, g.botRolePermissions, state.bot.id),
    ],
    emojis: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0 as GuildSystemChannelFlags,
    rules_channel_id: null,
    max_presences: null,
    max_members: 500000,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    nsfw_level: 0,
    stickers: [],
    premium_progress_bar_enabled: false,
    hub_type: null,
    safety_alerts_channel_id: null,
    incidents_data: null,
    joined_at: iso(g.joinedAt),
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    // Discord always includes the bot's own member, which discord.js needs for guild.members.me.
    members: [
      { user: userPayload(state.bot), ...memberPayload(state.bot, g.joinedAt, [g.botRoleId]) },
    ],
    channels: channels
      .filter((c) => !isThread(c))
      .map((c) =>
        channelPayload(state, c),
      ) as unknown as GatewayGuildCreateDispatchData['channels'],
    threads: channels
      .filter(isThread)
      .map((c) => channelPayload(state, c)) as unknown as GatewayGuildCreateDispatchData['threads'],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export function attachmentPayload(
  state: FakeState,
  channelId: string,
  a: StoredAttachment,
): APIAttachment {
  const path = `/attachments/${channelId}/${a.id}/${encodeURIComponent(a.filename)}`;
  const url = `${state.baseUrl}${path}?${signedQuery(path, a.issuedAt ?? Date.now())}`;
  return {
    id: a.id,
    filename: a.filename,
    size: a.size,
    url,
    proxy_url: url,
    content_type: a.contentType,
    ...(a.description !== undefined ? { description: a.description } : {}),
  };
}

export type MessageWire = APIMessage & {
  guild_id?: string;
  member?: Omit<APIGuildMember, 'user'>;
  channel_type?: number;
};

export function messagePayload(state: FakeState, m: StoredMessage, depth = 0): MessageWire {
  const ch = state.channels.get(m.channelId);
  const guild = m.guildId ? state.guilds.get(m.guildId) : undefined;
  const ref = m.messageReference ? state.message(m.messageReference.messageId) : undefined;
  const wire: MessageWire = {
    id: m.id,
    channel_id: m.channelId,
    author: userPayload(m.author),
    content: m.content,
    timestamp: iso(m.createdAt),
    edited_timestamp: m.editedAt ? iso(m.editedAt) : null,
    tts: m.tts,
    mention_everyone: m.mentionEveryone,
    mentions: m.mentions.map(userPayload),
    mention_roles: [],
    attachments: m.attachments.map((a) => attachmentPayload(state, m.channelId, a)),
    embeds: m.embeds as APIMessage['embeds'],
    components: m.components as APIMessage['components'],
    pinned: false,
    type: m.type,
    flags: m.flags,
    ...(ch ? { channel_type: ch.type } : {}),
    ...(m.webhookId ? { webhook_id: m.webhookId, application_id: m.webhookId } : {}),
    ...(m.interaction
      ? {
          interaction_metadata: {
            id: m.interaction.id,
            type: m.interaction.type,
            user: userPayload(m.interaction.user),
            authorizing_integration_owners: { '0': m.guildId ?? '0' },
            name: m.interaction.name,
          } as APIMessage['interaction_metadata'],
        }
      : {}),
  };
  if (m.messageReference) {
    wire.message_reference = {
      type: 0,
      message_id: m.messageReference.messageId,
      channel_id: m.messageReference.channelId,
      ...(m.messageReference.guildId ? { guild_id: m.messageReference.guildId } : {}),
    };
    wire.referenced_message =
      ref && !ref.deleted && depth === 0 ? messagePayload(state, ref, 1) : null;
  }
  if (m.guildId) {
    wire.guild_id = m.guildId;
    // Webhook-authored messages (interaction replies) carry no member.
    if (!m.webhookId) {
      const roles = m.author.id === state.bot.id && guild ? [guild.botRoleId] : [];
      wire.member = memberPayload(m.author, guild?.joinedAt ?? m.createdAt, roles);
    }
  }
  return wire;
}
