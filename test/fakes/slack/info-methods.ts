import type { FakeContext, MethodTable } from './context.js';
import { fail } from './errors.js';

/** auth.test, users.info, conversations.info, apps.connections.open. */
export function infoMethods(ctx: FakeContext, openSocketUrl: () => string): MethodTable {
  const { state, options } = ctx;
  return {
    'auth.test': {
      auth: 'bot',
      handle: () => ({
        url: `https://${options.teamDomain}.slack.com/`,
        team: options.teamName,
        user: options.botName,
        team_id: options.teamId,
        user_id: options.botUserId,
        bot_id: options.botId,
        is_enterprise_install: false,
      }),
    },

    'users.info': {
      auth: 'bot',
      handle({ params }) {
        const id = params.text('user');
        const u = id ? state.users.get(id) : undefined;
        if (!u) throw fail('user_not_found');
        const displayName = u.displayName ?? '';
        const realName = u.realName ?? u.name;
        return {
          user: {
            id: u.id,
            team_id: u.teamId ?? options.teamId,
            name: u.name,
            deleted: false,
            real_name: realName,
            is_admin: u.isAdmin ?? false,
            is_owner: u.isOwner ?? false,
            is_primary_owner: false,
            is_restricted: false,
            is_ultra_restricted: false,
            is_bot: u.isBot ?? false,
            is_app_user: false,
            profile: {
              display_name: displayName,
              display_name_normalized: displayName,
              real_name: realName,
              real_name_normalized: realName,
              team: u.teamId ?? options.teamId,
              ...(u.id === options.botUserId ? { bot_id: options.botId } : {}),
            },
          },
        };
      },
    },

    'conversations.info': {
      auth: 'bot',
      handle({ params }) {
        const ch = state.requireChannel(params.text('channel'));
        const created = Math.floor(ch.created / 1000);
        // DMs have no name on Slack: they carry the other person's id instead.
        if (ch.isIm) {
          return {
            channel: {
              id: ch.id,
              created,
              is_im: true,
              is_org_shared: false,
              ...(ch.user ? { user: ch.user } : {}),
              is_user_deleted: false,
            },
          };
        }
        return {
          channel: {
            id: ch.id,
            name: ch.name,
            name_normalized: ch.name,
            created,
            is_channel: ch.type === 'channel',
            is_group: ch.type === 'group',
            is_im: false,
            is_mpim: ch.type === 'mpim',
            is_private: ch.type !== 'channel',
            is_archived: false,
            is_general: false,
            is_member: ch.botIsMember,
            is_ext_shared: false,
            is_org_shared: false,
          },
        };
      },
    },

    'apps.connections.open': {
      auth: 'app',
      handle: () => ({ url: openSocketUrl() }),
    },
  };
}
