import type { FakeContext } from './context.js';
import { DiscordError, Errors, invalidFormBody } from './errors.js';
import { noContent, ok, param, type Route, type RouteRequest } from './http.js';
import {
  applyEdit,
  assertNotEmpty,
  checkFiles,
  computeMentions,
  newMessage,
  readDraft,
  resolveAttachments,
} from './message-input.js';
import { channelPayload, messagePayload } from './payloads.js';
import { Perm, has } from './permissions.js';
import type { BucketRef } from './rate-limit.js';
import { isThread, type ChannelState } from './state.js';
import type { RateSpec, StoredMessage } from './types.js';

const CHANNEL = /^\/channels\/(\d+)$/;
const MESSAGES = /^\/channels\/(\d+)\/messages$/;
const MESSAGE = /^\/channels\/(\d+)\/messages\/(\d+)$/;
const TYPING = /^\/channels\/(\d+)\/typing$/;
const OWN_REACTION = /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/;

const perChannel =
  (name: string, spec: RateSpec) =>
  (params: string[]): BucketRef => ({ name, major: params[0] ?? '', spec });

/** How long Discord remembers an enforced nonce ("the past few minutes"). */
const NONCE_WINDOW_MS = 5 * 60_000;

export function channelRoutes({ state, options, events }: FakeContext): Route[] {
  /** `channel:nonce` → the message an enforced nonce created, and when. */
  const nonces = new Map<string, { messageId: string; at: number }>();

  /** A guild channel the bot cannot see answers 50001, as on Discord. */
  const visible = (req: RouteRequest): { ch: ChannelState; perms: bigint } => {
    const ch = state.requireChannel(param(req, 0));
    const perms = state.botPermissionsIn(ch);
    if (ch.guildId && !has(perms, Perm.ViewChannel)) throw Errors.missingAccess();
    return { ch, perms };
  };
  const need = (ch: ChannelState, perms: bigint, bit: bigint): void => {
    if (ch.guildId && !has(perms, bit)) throw Errors.missingPermissions();
  };
  const sendBit = (ch: ChannelState): bigint =>
    isThread(ch) ? Perm.SendMessagesInThreads : Perm.SendMessages;

  const reactionBucket = perChannel(
    'PUT|DELETE /channels/:id/messages/:id/reactions',
    options.rates.reactionsPerChannel,
  );
  /** The message a reaction route names, its emoji, and the bot's live reactions with it. */
  const ownReaction = (req: RouteRequest) => {
    const { ch, perms } = visible(req);
    const message = state.requireMessage(ch.id, param(req, 1));
    const emoji = reactionEmoji(param(req, 2));
    const mine = message.reactions.filter(
      (r) => r.emoji === emoji && r.userId === options.botUser.id && r.removedAt === undefined,
    );
    return { ch, perms, message, emoji, mine };
  };

  async function create(req: RouteRequest) {
    const { ch, perms } = visible(req);
    need(ch, perms, sendBit(ch));
    const { json, files } = await req.payload();
    checkFiles(files, options.fileSizeLimit);
    const draft = readDraft(json);
    if (files.length) need(ch, perms, Perm.AttachFiles);
    let replyTo: StoredMessage | undefined;
    if (draft.reference) {
      need(ch, perms, Perm.ReadMessageHistory);
      const target = state.message(draft.reference.messageId);
      const sameChannel = (draft.reference.channelId ?? ch.id) === ch.id;
      if (
        target &&
        !target.deleted &&
        !target.ephemeral &&
        target.channelId === ch.id &&
        sameChannel
      ) {
        replyTo = target;
      } else if (draft.reference.failIfNotExists) {
        throw invalidFormBody([
          {
            path: ['message_reference'],
            code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE',
            message: 'Unknown message',
          },
        ]);
      }
    }
    const attachments = resolveAttachments(draft, files, undefined);
    const content = draft.content ?? '';
    assertNotEmpty(content, draft.embeds ?? [], attachments, draft.components ?? []);
    // enforce_nonce: a second create with the same nonce returns the first message.
    const { nonce, enforce_nonce: enforceNonce } = (json ?? {}) as {
      nonce?: unknown;
      enforce_nonce?: unknown;
    };
    if (
      nonce !== undefined &&
      !(typeof nonce === 'string' && nonce.length <= 25) &&
      !(typeof nonce === 'number' && Number.isInteger(nonce))
    ) {
      throw invalidFormBody([
        {
          path: ['nonce'],
          code: 'BASE_TYPE_MAX_LENGTH',
          message: 'Must be 25 or fewer in length.',
        },
      ]);
    }
    const nonceKey =
      nonce !== undefined && enforceNonce === true ? `${ch.id}:${String(nonce)}` : undefined;
    const seen = nonceKey ? nonces.get(nonceKey) : undefined;
    if (seen && Date.now() - seen.at < NONCE_WINDOW_MS) {
      const first = state.message(seen.messageId);
      if (first && !first.deleted) return ok(messagePayload(state, first));
    }
    const pinged = computeMentions(state, content, draft.allowedMentions, replyTo, perms);
    const m = newMessage({
      channelId: ch.id,
      ...(ch.guildId ? { guildId: ch.guildId } : {}),
      author: state.bot,
      content,
      embeds: draft.embeds ?? [],
      components: draft.components ?? [],
      attachments,
      flags: draft.flags ?? 0,
      tts: draft.tts ?? false,
      type: replyTo ? 19 : 0,
      ...(replyTo
        ? {
            messageReference: {
              messageId: replyTo.id,
              channelId: ch.id,
              ...(ch.guildId ? { guildId: ch.guildId } : {}),
            },
          }
        : {}),
      mentions: pinged.mentions,
      mentionEveryone: pinged.mentionEveryone,
      allowedMentions: draft.allowedMentions,
    });
    state.addMessage(m);
    if (nonceKey) nonces.set(nonceKey, { messageId: m.id, at: Date.now() });
    events.created(m);
    return ok(messagePayload(state, m));
  }

  async function edit(req: RouteRequest) {
    const { ch, perms } = visible(req);
    const m = state.requireMessage(ch.id, param(req, 1));
    if (m.author.id !== state.bot.id) throw Errors.cannotEditOthers();
    const { json, files } = await req.payload();
    checkFiles(files, options.fileSizeLimit);
    const draft = readDraft(json);
    if (files.length) need(ch, perms, Perm.AttachFiles);
    applyEdit(state, m, draft, files, perms);
    events.updated(m);
    return ok(messagePayload(state, m));
  }

  function remove(req: RouteRequest) {
    const { ch, perms } = visible(req);
    const m = state.requireMessage(ch.id, param(req, 1));
    if (m.author.id !== state.bot.id) {
      if (!ch.guildId) throw new DiscordError(403, 50003, 'Cannot execute action on a DM channel');
      need(ch, perms, Perm.ManageMessages);
    }
    m.deleted = true;
    m.deletedAt = Date.now();
    events.deleted(m);
    return noContent();
  }

  function list(req: RouteRequest) {
    const { ch, perms } = visible(req);
    const limit = Number(req.query.get('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalidFormBody([
        {
          path: ['limit'],
          code: 'NUMBER_TYPE_MAX',
          message: 'int value should be less than or equal to 100.',
        },
      ]);
    }
    // Without Read Message History Discord answers an empty list rather than an error.
    if (ch.guildId && !has(perms, Perm.ReadMessageHistory)) return ok([]);
    const all = state.messages(ch.id);
    const before = req.query.get('before');
    const after = req.query.get('after');
    let picked: StoredMessage[];
    if (after) picked = all.filter((m) => BigInt(m.id) > BigInt(after)).slice(0, limit);
    else if (before) picked = all.filter((m) => BigInt(m.id) < BigInt(before)).slice(-limit);
    else picked = all.slice(-limit);
    return ok(picked.reverse().map((m) => messagePayload(state, m)));
  }

  return [
    {
      method: 'GET',
      pattern: CHANNEL,
      auth: 'bot',
      handle: (req) => ok(channelPayload(state, visible(req).ch)),
    },
    { method: 'GET', pattern: MESSAGES, auth: 'bot', handle: list },
    {
      method: 'POST',
      pattern: MESSAGES,
      auth: 'bot',
      // Posts and edits in one channel share one bucket, as Discord's
      // X-RateLimit-Bucket shows; deletes count on a bucket of their own.
      bucket: perChannel('POST|PATCH /channels/:id/messages', options.rates.messagesPerChannel),
      handle: create,
    },
    {
      method: 'GET',
      pattern: MESSAGE,
      auth: 'bot',
      handle: (req) => {
        const { ch, perms } = visible(req);
        need(ch, perms, Perm.ReadMessageHistory);
        return ok(messagePayload(state, state.requireMessage(ch.id, param(req, 1))));
      },
    },
    {
      method: 'PATCH',
      pattern: MESSAGE,
      auth: 'bot',
      bucket: perChannel('POST|PATCH /channels/:id/messages', options.rates.messagesPerChannel),
      handle: edit,
    },
    {
      method: 'DELETE',
      pattern: MESSAGE,
      auth: 'bot',
      bucket: perChannel('DELETE /channels/:id/messages/:id', options.rates.deletePerChannel),
      handle: remove,
    },
    {
      method: 'POST',
      pattern: TYPING,
      auth: 'bot',
      bucket: perChannel('POST /channels/:id/typing', options.rates.typingPerChannel),
      handle: (req) => {
        const { ch, perms } = visible(req);
        need(ch, perms, sendBit(ch));
        return noContent();
      },
    },
    {
      method: 'PUT',
      pattern: OWN_REACTION,
      auth: 'bot',
      bucket: reactionBucket,
      handle: (req) => {
        const { ch, perms, message, emoji, mine } = ownReaction(req);
        need(ch, perms, Perm.ReadMessageHistory);
        // A new emoji on the message needs Add Reactions; joining one does not.
        if (!message.reactions.some((r) => r.emoji === emoji && r.removedAt === undefined))
          need(ch, perms, Perm.AddReactions);
        if (mine.length === 0)
          message.reactions.push({ emoji, userId: options.botUser.id, addedAt: Date.now() });
        return noContent();
      },
    },
    {
      method: 'DELETE',
      pattern: OWN_REACTION,
      auth: 'bot',
      bucket: reactionBucket,
      handle: (req) => {
        for (const r of ownReaction(req).mine) r.removedAt = Date.now();
        return noContent();
      },
    },
  ];
}

/** The route carries the emoji URL-encoded; an empty or undecodable one is Unknown Emoji. */
function reactionEmoji(raw: string): string {
  let emoji: string;
  try {
    emoji = decodeURIComponent(raw);
  } catch {
    throw new DiscordError(400, 10014, 'Unknown Emoji');
  }
  if (emoji.trim() === '') throw new DiscordError(400, 10014, 'Unknown Emoji');
  return emoji;
}
