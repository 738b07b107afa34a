import type { FakeContext } from './context.js';
import { Errors } from './errors.js';
import { ok, param, type Route } from './http.js';
import { channelPayload, userPayload } from './payloads.js';

/** Gateway discovery, the bot's own user and application, and DM channels. */
export function miscRoutes({ state, options, gateway }: FakeContext): Route[] {
  return [
    { method: 'GET', pattern: /^\/gateway$/, auth: 'none', handle: () => ok({ url: gateway.url }) },
    {
      method: 'GET',
      pattern: /^\/gateway\/bot$/,
      auth: 'bot',
      handle: () =>
        ok({
          url: gateway.url,
          shards: options.recommendedShards,
          session_start_limit: {
            total: 1000,
            remaining: gateway.sessionStartRemaining,
            reset_after: 86_400_000,
            max_concurrency: options.maxConcurrency,
          },
        }),
    },
    {
      method: 'GET',
      pattern: /^\/users\/@me$/,
      auth: 'bot',
      handle: () => ok({ ...userPayload(state.bot), verified: true, mfa_enabled: false, flags: 0 }),
    },
    {
      method: 'GET',
      pattern: /^\/users\/(\d+)$/,
      auth: 'bot',
      handle: (req) => {
        const user = state.users.get(param(req, 0));
        if (!user) throw Errors.unknownUser();
        return ok(userPayload(user));
      },
    },
    {
      method: 'POST',
      pattern: /^\/users\/@me\/channels$/,
      auth: 'bot',
      handle: async (req) => {
        const { json } = await req.payload();
        const user = state.users.get(String(json['recipient_id']));
        if (!user) throw Errors.unknownUser();
        return ok(channelPayload(state, state.openDm(user)));
      },
    },
    {
      method: 'GET',
      pattern: /^\/applications\/@me$/,
      auth: 'bot',
      handle: () =>
        ok({
          id: options.applicationId,
          name: state.bot.username,
          icon: null,
          description: '',
          bot_public: true,
          bot_require_code_grant: false,
          verify_key: '0'.repeat(64),
          flags: 0,
          bot: userPayload(state.bot),
          team: null,
          approximate_guild_count: state.guilds.size,
          integration_types_config: { '0': {} },
        }),
    },
  ];
}
