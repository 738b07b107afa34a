/** `GET /guilds/{id}`: a server as REST gives it (its roles; no channels, members or gateway-only fields). */
import type { FakeContext } from './context.js';
import { Errors } from './errors.js';
import { ok, param, type Route } from './http.js';
import { guildCreatePayload } from './payloads.js';

export function guildRoutes({ state }: FakeContext): Route[] {
  return [
    {
      method: 'GET',
      pattern: /^\/guilds\/(\d+)$/,
      auth: 'bot',
      handle: (req) => {
        const guild = state.guilds.get(param(req, 0));
        if (!guild) throw Errors.unknownGuild();
        const {
          channels: _channels,
          threads: _threads,
          members: _members,
          presences: _presences,
          voice_states: _voiceStates,
          stage_instances: _stageInstances,
          guild_scheduled_events: _events,
          soundboard_sounds: _sounds,
          joined_at: _joinedAt,
          large: _large,
          unavailable: _unavailable,
          member_count: _memberCount,
          ...rest
        } = guildCreatePayload(state, guild);
        return ok(rest);
      },
    },
  ];
}
