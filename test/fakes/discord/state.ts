import { Errors } from './errors.js';
import {
  DEFAULT_BOT_PERMISSIONS,
  DM_APP_PERMISSIONS,
  EVERYONE_PERMISSIONS,
} from './permissions.js';
import { snowflake } from './snowflake.js';
import type {
  FakeUser,
  GuildConfig,
  ResolvedOptions,
  StoredAttachment,
  StoredCommand,
  StoredMessage,
} from './types.js';

export interface ChannelState {
  id: string;
  name: string;
  /** 0 text, 1 DM, 5 announcement, 10/11/12 threads. */
  type: number;
  guildId?: string;
  parentId?: string;
  /** Who started a thread (default: the guild's owner). */
  ownerId?: string;
  recipient?: FakeUser;
  /** Exact bot permissions here when a channel overrides the guild's. */
  botPermissions?: bigint;
  createdAt: number;
}

export interface GuildState {
  config: GuildConfig;
  /** Never the bot: discord.js grants the owner every permission, which would hide overwrites. */
  ownerId: string;
  botRoleId: string;
  everyonePermissions: bigint;
  botRolePermissions: bigint;
  joinedAt: number;
}

export const isThread = (ch: ChannelState): boolean =>
  ch.type === 10 || ch.type === 11 || ch.type === 12;

/** Everything the fake knows; the routes and the gateway read and write it. */
export class FakeState {
  baseUrl = '';
  readonly bot: FakeUser;
  readonly guilds = new Map<string, GuildState>();
  readonly channels = new Map<string, ChannelState>();
  /** Channels and threads by guild, so a GUILD_CREATE stays cheap with thousands of guilds. */
  private readonly byGuild = new Map<string, ChannelState[]>();
  readonly users = new Map<string, FakeUser>();
  readonly commands: StoredCommand[] = [];
  readonly guildCommands = new Map<string, StoredCommand[]>();
  private readonly byChannel = new Map<string, StoredMessage[]>();
  private readonly byId = new Map<string, StoredMessage>();
  private readonly files = new Map<string, StoredAttachment>();

  constructor(readonly options: ResolvedOptions) {
    this.bot = { ...options.botUser, bot: true };
    this.users.set(this.bot.id, this.bot);
    const now = Date.now();
    for (const g of options.guilds) {
      this.guilds.set(g.id, {
        config: g,
        ownerId: g.ownerId ?? snowflake(),
        botRoleId: snowflake(),
        everyonePermissions: BigInt(EVERYONE_PERMISSIONS),
        botRolePermissions: BigInt(g.botPermissions ?? DEFAULT_BOT_PERMISSIONS),
        joinedAt: now,
      });
      for (const c of g.channels) {
        this.addChannel({
          id: c.id,
          name: c.name,
          type: c.type ?? 0,
          guildId: g.id,
          ...(c.botPermissions !== undefined ? { botPermissions: BigInt(c.botPermissions) } : {}),
          createdAt: now,
        });
      }
      for (const t of g.threads ?? []) {
        this.addChannel({
          id: t.id,
          name: t.name,
          type: t.type ?? 11,
          guildId: g.id,
          parentId: t.parentId,
          ...(t.ownerId ? { ownerId: t.ownerId } : {}),
          createdAt: now,
        });
      }
    }
  }

  addChannel(ch: ChannelState): void {
    this.channels.set(ch.id, ch);
    if (!ch.guildId) return;
    const list = this.byGuild.get(ch.guildId) ?? [];
    list.push(ch);
    this.byGuild.set(ch.guildId, list);
  }

  /** A guild's channels and threads, in creation order. */
  channelsOf(guildId: string): readonly ChannelState[] {
    return this.byGuild.get(guildId) ?? [];
  }

  rememberUser(user: FakeUser): FakeUser {
    const known = this.users.get(user.id);
    const merged = { ...known, ...user };
    this.users.set(user.id, merged);
    return merged;
  }

  requireChannel(id: string): ChannelState {
    const ch = this.channels.get(id);
    if (!ch) throw Errors.unknownChannel();
    return ch;
  }

  guildPermissions(guildId: string): bigint {
    const g = this.guilds.get(guildId);
    return g ? g.everyonePermissions | g.botRolePermissions : 0n;
  }

  /** Threads inherit their parent's overwrites, as on Discord. */
  botPermissionsIn(ch: ChannelState): bigint {
    if (!ch.guildId) return BigInt(DM_APP_PERMISSIONS);
    const own = ch.parentId ? this.channels.get(ch.parentId) : ch;
    return own?.botPermissions ?? this.guildPermissions(ch.guildId);
  }

  openDm(user: FakeUser): ChannelState {
    this.rememberUser(user);
    for (const ch of this.channels.values()) {
      if (ch.type === 1 && ch.recipient?.id === user.id) return ch;
    }
    const ch: ChannelState = {
      id: snowflake(),
      name: user.username,
      type: 1,
      recipient: this.users.get(user.id) ?? user,
      createdAt: Date.now(),
    };
    this.channels.set(ch.id, ch);
    return ch;
  }

  addMessage(m: StoredMessage): void {
    this.byId.set(m.id, m);
    for (const a of m.attachments) this.files.set(a.id, a);
    if (m.ephemeral) return;
    const list = this.byChannel.get(m.channelId) ?? [];
    list.push(m);
    this.byChannel.set(m.channelId, list);
  }

  rememberAttachments(m: StoredMessage): void {
    for (const a of m.attachments) this.files.set(a.id, a);
  }

  /** Added to the CDN's clock: a test moves it past a link's expiry. */
  cdnClockMs = 0;
  /** Every CDN request, by attachment id, with its status. */
  readonly cdnRequests: { id: string; status: number; at: number }[] = [];

  attachment(id: string): StoredAttachment | undefined {
    return this.files.get(id);
  }

  /** A live message in that channel, or 10008. */
  requireMessage(channelId: string, id: string): StoredMessage {
    const m = this.byId.get(id);
    if (!m || m.channelId !== channelId || m.deleted || m.ephemeral) throw Errors.unknownMessage();
    return m;
  }

  message(id: string): StoredMessage | undefined {
    return this.byId.get(id);
  }

  messages(channelId: string, includeDeleted = false): StoredMessage[] {
    const list = this.byChannel.get(channelId) ?? [];
    return includeDeleted ? [...list] : list.filter((m) => !m.deleted);
  }
}
