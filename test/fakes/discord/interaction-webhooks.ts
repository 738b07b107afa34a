import type { FakeContext } from './context.js';
import { Errors } from './errors.js';
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
import { messagePayload } from './payloads.js';
import type { StoredMessage } from './types.js';

const MESSAGE = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/;
const WEBHOOK = /^\/webhooks\/(\d+)\/([^/]+)$/;

/** @original and follow-ups through `/webhooks/{application}/{token}`: no bot auth, no global limit. */
export function webhookRoutes(ctx: FakeContext, interactions: Interactions): Route[] {
  const { state, options, events } = ctx;

  /** A wrong application is an unknown webhook; an unknown or expired token an invalid one. */
  const interactionFor = (req: RouteRequest): InteractionState => {
    if (param(req, 0) !== options.applicationId) throw Errors.unknownWebhook();
    const entry = interactions.entryByToken(param(req, 1));
    if (!entry || req.arrivedAt > entry.state.expiresAt) throw Errors.invalidWebhookToken();
    return entry.state;
  };
  /** @original exists only once a callback created it. */
  const messageFor = (s: InteractionState, id: string): StoredMessage => {
    const m = id === '@original' ? s.original : s.followups.find((f) => f.id === id);
    if (!m || m.deleted) throw Errors.unknownMessage();
    return m;
  };

  async function edit(req: RouteRequest) {
    const s = interactionFor(req);
    const m = messageFor(s, param(req, 2));
    const { json, files } = await req.payload();
    checkFiles(files, s.attachmentSizeLimit);
    const draft = readDraft(json);
    // The ephemeral bit is fixed at creation; edits can neither add nor drop it.
    if (draft.flags !== undefined) draft.flags = (draft.flags & ~EPHEMERAL) | (m.flags & EPHEMERAL);
    const perms = state.botPermissionsIn(state.requireChannel(s.channelId));
    applyEdit(state, m, draft, files, perms);
    m.flags &= ~LOADING;
    events.updated(m);
    return ok(messagePayload(state, m));
  }

  async function followup(req: RouteRequest) {
    const s = interactionFor(req);
    if (!s.callback) throw Errors.unknownWebhook();
    const { json, files } = await req.payload();
    checkFiles(files, s.attachmentSizeLimit);
    const draft = readDraft(json);
    const attachments = resolveAttachments(draft, files, undefined);
    const content = draft.content ?? '';
    assertNotEmpty(content, draft.embeds ?? [], attachments, draft.components ?? []);
    const m = postAsInteraction(ctx, s, {
      flags: draft.flags ?? 0,
      content,
      embeds: draft.embeds ?? [],
      components: draft.components ?? [],
      attachments,
    });
    s.followups.push(m);
    // Without ?wait=true Discord answers 204 and the caller never learns the id.
    return req.query.get('wait') === 'true' ? ok(messagePayload(state, m)) : noContent();
  }

  const perToken = (params: string[]) => ({
    name: 'webhook /webhooks/:id/:token',
    major: `${params[0] ?? ''}/${params[1] ?? ''}`,
    spec: options.rates.webhookPerToken,
  });
  const route = (method: string, pattern: RegExp, handle: Route['handle']): Route => ({
    method,
    pattern,
    auth: 'none',
    bucket: perToken,
    handle,
  });
  return [
    route('POST', WEBHOOK, followup),
    route('GET', MESSAGE, (req) => {
      const s = interactionFor(req);
      return ok(messagePayload(state, messageFor(s, param(req, 2))));
    }),
    route('PATCH', MESSAGE, edit),
    route('DELETE', MESSAGE, (req) => {
      const m = messageFor(interactionFor(req), param(req, 2));
      m.deleted = true;
      m.deletedAt = Date.now();
      events.deleted(m);
      return noContent();
    }),
  ];
}
