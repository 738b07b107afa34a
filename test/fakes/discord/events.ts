import { Intent, type Gateway, type Session } from './gateway.js';
import { messagePayload } from './payloads.js';
import { Perm, has } from './permissions.js';
import type { FakeState } from './state.js';
import type { StoredMessage } from './types.js';

/** Discord sends message events only for the right intent and channels the bot can see. */
function wantsMessages(state: FakeState, s: Session, m: StoredMessage): boolean {
  if (!(s.intents & (m.guildId ? Intent.GuildMessages : Intent.DirectMessages))) return false;
  const ch = state.channels.get(m.channelId);
  return !ch?.guildId || has(state.botPermissionsIn(ch), Perm.ViewChannel);
}

/**
 * Without the Message Content intent Discord blanks content, embeds,
 * attachments and components, except in DMs, in messages that mention the
 * bot and in the bot's own messages.
 */
function visibleTo(state: FakeState, s: Session, m: StoredMessage): unknown {
  if (!wantsMessages(state, s, m)) return undefined;
  const wire = messagePayload(state, m);
  const exempt =
    !m.guildId || m.author.id === state.bot.id || m.mentions.some((u) => u.id === state.bot.id);
  if (!(s.intents & Intent.MessageContent) && !exempt) {
    return { ...wire, content: '', embeds: [], attachments: [], components: [] };
  }
  return wire;
}

export class MessageEvents {
  constructor(
    private readonly state: FakeState,
    private readonly gateway: Gateway,
  ) {}

  created(m: StoredMessage): void {
    if (m.ephemeral) return;
    this.gateway.dispatch('MESSAGE_CREATE', m.guildId, (s) => visibleTo(this.state, s, m));
  }

  updated(m: StoredMessage): void {
    if (m.ephemeral) return;
    this.gateway.dispatch('MESSAGE_UPDATE', m.guildId, (s) => visibleTo(this.state, s, m));
  }

  deleted(m: StoredMessage): void {
    if (m.ephemeral) return;
    this.gateway.dispatch('MESSAGE_DELETE', m.guildId, (s) =>
      wantsMessages(this.state, s, m)
        ? { id: m.id, channel_id: m.channelId, ...(m.guildId ? { guild_id: m.guildId } : {}) }
        : undefined,
    );
  }
}
