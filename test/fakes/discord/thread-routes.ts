/**
 * `POST /channels/{channel}/messages/{message}/threads`: a public thread
 * started from a message. As on Discord: the thread takes the message's id,
 * a second start answers 160004, the bot needs Create Public Threads, only
 * text and announcement channels have such threads, the name is 1 to 100
 * characters, and THREAD_CREATE goes to every session with the Guilds intent.
 */
import type { FakeContext } from './context.js';
import { DiscordError, Errors, invalidFormBody, maxLength } from './errors.js';
import { param, type Route, type RouteRequest } from './http.js';
import { Intent } from './gateway.js';
import { channelPayload } from './payloads.js';
import { Perm, has } from './permissions.js';
import { isThread, type ChannelState } from './state.js';

const THREADS = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/;
/** MessageFlags.HasThread: the message starts a thread. */
const HAS_THREAD = 1 << 5;

export function threadRoutes({ state, options, gateway }: FakeContext): Route[] {
  function start(req: RouteRequest) {
    const parent = state.requireChannel(param(req, 0));
    const perms = state.botPermissionsIn(parent);
    if (parent.guildId && !has(perms, Perm.ViewChannel)) throw Errors.missingAccess();
    const message = state.requireMessage(parent.id, param(req, 1));
    if (!parent.guildId || isThread(parent) || (parent.type !== 0 && parent.type !== 5))
      throw new DiscordError(400, 50024, 'Cannot execute action on this channel type');
    if (!has(perms, Perm.CreatePublicThreads)) throw Errors.missingPermissions();
    if (state.channels.has(message.id))
      throw new DiscordError(400, 160004, 'A thread has already been created for this message');
    return req.payload().then(({ json }) => {
      const name = json?.['name'];
      if (typeof name !== 'string' || name.trim() === '')
        throw invalidFormBody([
          { path: ['name'], code: 'BASE_TYPE_REQUIRED', message: 'This field is required' },
        ]);
      if (name.length > 100) throw invalidFormBody([maxLength(['name'], 100)]);
      const thread: ChannelState = {
        id: message.id,
        // Newlines do not survive in a channel name.
        name: name.replace(/\s+/g, ' ').trim(),
        type: parent.type === 5 ? 10 : 11,
        guildId: parent.guildId,
        parentId: parent.id,
        ownerId: state.bot.id,
        createdAt: Date.now(),
      };
      state.addChannel(thread);
      message.flags |= HAS_THREAD;
      const wire = channelPayload(state, thread);
      gateway.dispatch('THREAD_CREATE', parent.guildId, (s) =>
        s.intents & Intent.Guilds ? { ...wire, newly_created: true } : undefined,
      );
      return { status: 201, body: wire };
    });
  }

  return [
    {
      method: 'POST',
      pattern: THREADS,
      auth: 'bot',
      bucket: (params) => ({
        name: 'POST /channels/:id/messages/:id/threads',
        major: params[0] ?? '',
        spec: options.rates.threadsPerChannel,
      }),
      handle: start,
    },
  ];
}
