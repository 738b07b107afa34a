import type { FakeContext } from './context.js';
import { Errors, invalidFormBody, maxLength } from './errors.js';
import { noContent, ok, param, type Route, type RouteRequest } from './http.js';
import {
  EPHEMERAL,
  LOADING,
  postAsInteraction,
  type InteractionState,
  type Interactions,
} from './interactions.js';
import {
  applyEdit,
  assertNotEmpty,
  checkFiles,
  readDraft,
  resolveAttachments,
} from './message-input.js';
import type { UploadedFile } from './multipart.js';
import { messagePayload } from './payloads.js';
import type { StoredMessage } from './types.js';

const badType = (allowed: number[]) =>
  invalidFormBody([
    {
      path: ['type'],
      code: 'BASE_TYPE_CHOICES',
      message: `Value must be one of {${allowed.join(', ')}}.`,
    },
  ]);

function reply(
  ctx: FakeContext,
  s: InteractionState,
  data: Record<string, unknown>,
  files: UploadedFile[],
  flags: number,
): StoredMessage {
  checkFiles(files, s.attachmentSizeLimit);
  const draft = readDraft(data);
  const attachments = resolveAttachments(draft, files, undefined);
  const content = draft.content ?? '';
  assertNotEmpty(content, draft.embeds ?? [], attachments, draft.components ?? []);
  return postAsInteraction(ctx, s, {
    type: 20,
    flags,
    content,
    embeds: draft.embeds ?? [],
    components: draft.components ?? [],
    attachments,
  });
}

/** Checks the body per response type; returns the @original it creates, if any. */
function respond(
  ctx: FakeContext,
  s: InteractionState,
  type: number,
  data: Record<string, unknown>,
  files: UploadedFile[],
  flags: number,
): StoredMessage | undefined {
  switch (type) {
    case 4:
      return reply(ctx, s, data, files, flags);
    case 5:
      // A deferred reply may only say "ephemeral"; that choice sticks to the message.
      if (flags & ~EPHEMERAL) {
        throw invalidFormBody([
          {
            path: ['data', 'flags'],
            code: 'INTERACTION_RESPONSE_FLAGS_INVALID',
            message: 'Only the EPHEMERAL flag may be set',
          },
        ]);
      }
      return postAsInteraction(ctx, s, { type: 20, flags: flags | LOADING });
    case 6:
      // Acknowledged; the message stays as it is.
      return undefined;
    case 7: {
      const m = ctx.state.message(s.messageId ?? '');
      if (!m || m.deleted) throw Errors.unknownMessage();
      checkFiles(files, s.attachmentSizeLimit);
      applyEdit(
        ctx.state,
        m,
        readDraft(data),
        files,
        ctx.state.botPermissionsIn(ctx.state.requireChannel(m.channelId)),
      );
      ctx.events.updated(m);
      return undefined;
    }
    case 8: {
      const choices = data['choices'];
      if (!Array.isArray(choices)) {
        throw invalidFormBody([
          {
            path: ['data', 'choices'],
            code: 'BASE_TYPE_REQUIRED',
            message: 'This field is required',
          },
        ]);
      }
      if (choices.length > 25) throw invalidFormBody([maxLength(['data', 'choices'], 25)]);
      return undefined;
    }
    default:
      if (typeof data['custom_id'] !== 'string' || typeof data['title'] !== 'string') {
        throw invalidFormBody([
          {
            path: ['data'],
            code: 'BASE_TYPE_REQUIRED',
            message: 'custom_id and title are required',
          },
        ]);
      }
      return undefined;
  }
}

export function callbackRoute(ctx: FakeContext, interactions: Interactions): Route {
  async function handle(req: RouteRequest) {
    const entry = interactions.entry(param(req, 0));
    if (!entry || entry.state.token !== param(req, 1)) throw Errors.unknownInteraction();
    const s = entry.state;
    const refuse = (status: number, code: number) =>
      s.rejectedCallbacks.push({ at: req.arrivedAt, status, code });
    if (s.callback) {
      refuse(400, 40060);
      throw Errors.alreadyAcknowledged();
    }
    // The token dies at the deadline, so a late callback looks like an unknown interaction.
    if (req.arrivedAt > s.deadlineAt) {
      refuse(404, 10062);
      throw Errors.unknownInteraction();
    }
    const { json, files } = await req.payload();
    const type = json['type'];
    const data = (json['data'] ?? {}) as Record<string, unknown>;
    // Commands take a message, a deferral or a modal; autocomplete only choices;
    // a button press also a deferred update (6) or an update of its message (7).
    const allowed = s.type === 4 ? [8] : s.type === 3 ? [4, 5, 6, 7, 9] : [4, 5, 9];
    if (typeof type !== 'number' || !allowed.includes(type)) throw badType(allowed);
    const requested = typeof data['flags'] === 'number' ? data['flags'] : 0;
    // A refused body is no acknowledgement: the bot may still answer before the deadline.
    s.original = respond(ctx, s, type, data, files, requested) ?? s.original;
    const flags = type === 4 || type === 5 ? requested : 0;
    s.callback = {
      type,
      flags,
      data,
      at: req.arrivedAt,
      latencyMs: req.arrivedAt - s.dispatchedAt,
    };
    entry.settle({ acknowledged: true, ...s.callback });
    if (req.query.get('with_response') !== 'true') return noContent();
    const m = s.original;
    return ok({
      interaction: {
        id: s.id,
        type: s.type,
        ...(m
          ? {
              response_message_id: m.id,
              response_message_loading: Boolean(m.flags & LOADING),
              response_message_ephemeral: m.ephemeral,
            }
          : {}),
      },
      resource: { type, ...(m ? { message: messagePayload(ctx.state, m) } : {}) },
    });
  }
  return {
    method: 'POST',
    pattern: /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
    auth: 'none',
    handle,
  };
}
