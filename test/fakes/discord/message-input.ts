import { Errors, invalidFormBody, maxLength, type FieldError } from './errors.js';
import { checkComponents } from './components.js';
import type { UploadedFile } from './multipart.js';
import { Perm, has } from './permissions.js';
import { snowflake } from './snowflake.js';
import type { FakeState } from './state.js';
import type { FakeUser, StoredAttachment, StoredMessage } from './types.js';

export interface AllowedMentions {
  parse?: string[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

export interface AttachmentMeta {
  id: string;
  filename?: string;
  description?: string;
}

/** A message body as sent to create or edit; `undefined` means "not given". */
export interface MessageDraft {
  content?: string;
  embeds?: Record<string, unknown>[];
  components?: unknown[];
  flags?: number;
  tts?: boolean;
  attachments?: AttachmentMeta[];
  reference?: { messageId: string; channelId?: string; failIfNotExists: boolean };
  allowedMentions?: AllowedMentions;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const len = (v: unknown): number => (typeof v === 'string' ? v.length : 0);

/** Discord's embed limits; the 6000 total counts every text field. */
function checkEmbeds(embeds: Record<string, unknown>[], errors: FieldError[]): void {
  if (embeds.length > 10) errors.push(maxLength(['embeds'], 10));
  let total = 0;
  embeds.forEach((e, i) => {
    const limit = (key: string, value: unknown, max: number, path = [key]): void => {
      total += len(value);
      if (len(value) > max) errors.push(maxLength(['embeds', i, ...path], max));
    };
    limit('title', e['title'], 256);
    limit('description', e['description'], 4096);
    const footer = e['footer'] as Record<string, unknown> | undefined;
    limit('footer', footer?.['text'], 2048, ['footer', 'text']);
    const author = e['author'] as Record<string, unknown> | undefined;
    limit('author', author?.['name'], 256, ['author', 'name']);
    const fields = Array.isArray(e['fields']) ? (e['fields'] as Record<string, unknown>[]) : [];
    if (fields.length > 25) errors.push(maxLength(['embeds', i, 'fields'], 25));
    fields.forEach((f, j) => {
      limit('name', f['name'], 256, ['fields', String(j), 'name']);
      limit('value', f['value'], 1024, ['fields', String(j), 'value']);
    });
  });
  if (total > 6000) {
    errors.push({
      path: ['embeds'],
      code: 'MAX_EMBED_SIZE_EXCEEDED',
      message: 'Embed size exceeds maximum size of 6000',
    });
  }
}

export function readDraft(json: Record<string, unknown>): MessageDraft {
  const errors: FieldError[] = [];
  const draft: MessageDraft = {};
  if ('content' in json) {
    const c = json['content'];
    if (c === null) draft.content = '';
    else if (typeof c !== 'string') {
      errors.push({ path: ['content'], code: 'BASE_TYPE_STRING', message: 'Must be a string.' });
    } else {
      draft.content = c;
      if (c.length > 2000) errors.push(maxLength(['content'], 2000));
    }
  }
  if (Array.isArray(json['embeds'])) {
    draft.embeds = json['embeds'] as Record<string, unknown>[];
    checkEmbeds(draft.embeds, errors);
  } else if (json['embeds'] === null) draft.embeds = [];
  if (Array.isArray(json['components'])) {
    draft.components = json['components'];
    checkComponents(draft.components, errors);
  }
  if (typeof json['flags'] === 'number') draft.flags = json['flags'];
  if (typeof json['tts'] === 'boolean') draft.tts = json['tts'];
  if (Array.isArray(json['attachments'])) {
    const list = json['attachments'] as Record<string, unknown>[];
    if (list.length > 10) errors.push(maxLength(['attachments'], 10));
    draft.attachments = list.map((a) => ({
      id: String(a['id']),
      ...(str(a['filename']) !== undefined ? { filename: str(a['filename']) } : {}),
      ...(str(a['description']) !== undefined ? { description: str(a['description']) } : {}),
    }));
  }
  const ref = json['message_reference'] as Record<string, unknown> | undefined | null;
  if (ref && typeof ref === 'object') {
    draft.reference = {
      messageId: String(ref['message_id'] ?? ''),
      ...(ref['channel_id'] !== undefined ? { channelId: String(ref['channel_id']) } : {}),
      failIfNotExists: ref['fail_if_not_exists'] !== false,
    };
  }
  const am = json['allowed_mentions'] as AllowedMentions | undefined | null;
  if (am && typeof am === 'object') {
    draft.allowedMentions = am;
    // A common mistake Discord refuses outright.
    if (am.parse?.includes('users') && am.users?.length) {
      errors.push({
        path: ['allowed_mentions'],
        code: 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
        message: 'parse:["users"] and users: [ids...] are mutually exclusive.',
      });
    }
  }
  if (errors.length) throw invalidFormBody(errors);
  return draft;
}

/** Per-file limit first (413 like Discord's edge), then the 10-file cap. */
export function checkFiles(files: UploadedFile[], sizeLimit: number): void {
  if (files.some((f) => f.bytes.length > sizeLimit)) throw Errors.tooLarge();
  if (files.length > 10) throw invalidFormBody([maxLength(['files'], 10)]);
}

function fromFile(f: UploadedFile, meta: AttachmentMeta | undefined): StoredAttachment {
  return {
    id: snowflake(),
    filename: meta?.filename ?? f.filename,
    contentType: f.contentType,
    size: f.bytes.length,
    bytes: f.bytes,
    ...(meta?.description !== undefined ? { description: meta.description } : {}),
  };
}

/**
 * v10 semantics: when `attachments` is given it lists everything to keep,
 * existing ones by snowflake and new uploads by their `files[n]` index;
 * without it an edit keeps what was there and appends the uploads.
 */
export function resolveAttachments(
  draft: MessageDraft,
  files: UploadedFile[],
  existing: StoredAttachment[] | undefined,
): StoredAttachment[] {
  const meta = draft.attachments;
  const uploads = files.map((f) =>
    fromFile(
      f,
      meta?.find((m) => m.id === String(f.index)),
    ),
  );
  if (!meta) return [...(existing ?? []), ...uploads];
  const kept = (existing ?? []).filter((a) => meta.some((m) => m.id === a.id));
  const result = [...kept, ...uploads];
  if (result.length > 10) throw invalidFormBody([maxLength(['attachments'], 10)]);
  return result;
}

export function assertNotEmpty(
  content: string,
  embeds: unknown[],
  attachments: unknown[],
  components: unknown[],
): void {
  if (content.trim() === '' && !embeds.length && !attachments.length && !components.length) {
    throw Errors.emptyMessage();
  }
}

/**
 * Which users a bot message really pings: parsed from `<@id>` tokens and
 * filtered by allowed_mentions; replies ping the replied author unless an
 * allowed_mentions object leaves out `replied_user`.
 */
export function computeMentions(
  state: FakeState,
  content: string,
  allowed: AllowedMentions | undefined,
  replyTo: StoredMessage | undefined,
  perms: bigint,
): { mentions: FakeUser[]; mentionEveryone: boolean } {
  const ids = [...content.matchAll(/<@!?(\d{17,20})>/g)].map((m) => m[1] ?? '');
  const userOk = (id: string): boolean =>
    !allowed || Boolean(allowed.parse?.includes('users')) || Boolean(allowed.users?.includes(id));
  const mentions = new Map<string, FakeUser>();
  for (const id of ids) {
    const user = state.users.get(id);
    if (user && userOk(id)) mentions.set(id, user);
  }
  const pingReply = allowed ? allowed.replied_user === true : true;
  if (replyTo && pingReply && replyTo.author.id !== state.bot.id) {
    mentions.set(replyTo.author.id, replyTo.author);
  }
  const everyoneToken = /@(everyone|here)\b/.test(content);
  const everyoneOk = !allowed || Boolean(allowed.parse?.includes('everyone'));
  return {
    mentions: [...mentions.values()],
    mentionEveryone: everyoneToken && everyoneOk && has(perms, Perm.MentionEveryone),
  };
}

export function newMessage(
  init: Pick<StoredMessage, 'channelId' | 'author' | 'content'> & Partial<StoredMessage>,
): StoredMessage {
  return {
    id: snowflake(),
    embeds: [],
    components: [],
    attachments: [],
    flags: 0,
    type: 0,
    tts: false,
    mentions: [],
    mentionEveryone: false,
    createdAt: Date.now(),
    editCount: 0,
    edits: [],
    deleted: false,
    reactions: [],
    ephemeral: false,
    ...init,
  };
}

/** Applies an edit in place; what is not given stays, and the result may not be empty. */
export function applyEdit(
  state: FakeState,
  m: StoredMessage,
  draft: MessageDraft,
  files: UploadedFile[],
  perms: bigint,
): void {
  const content = draft.content ?? m.content;
  const embeds = draft.embeds ?? m.embeds;
  const components = draft.components ?? m.components;
  const attachments =
    files.length || draft.attachments
      ? resolveAttachments(draft, files, m.attachments)
      : m.attachments;
  assertNotEmpty(content, embeds, attachments, components);
  if (draft.content !== undefined || draft.allowedMentions) {
    const replyTo = m.messageReference ? state.message(m.messageReference.messageId) : undefined;
    const pinged = computeMentions(
      state,
      content,
      draft.allowedMentions ?? (m.allowedMentions as AllowedMentions | undefined),
      undefined,
      perms,
    );
    // The reply ping is decided when the message is sent, not on edits.
    const replied = replyTo ? m.mentions.filter((u) => u.id === replyTo.author.id) : [];
    m.mentions = [...new Map([...pinged.mentions, ...replied].map((u) => [u.id, u])).values()];
    m.mentionEveryone = pinged.mentionEveryone;
  }
  const at = Date.now();
  m.content = content;
  m.embeds = embeds;
  m.components = components;
  m.attachments = attachments;
  if (draft.flags !== undefined) m.flags = draft.flags;
  m.editedAt = at;
  m.editCount += 1;
  m.edits.push({ content, at, attachments: attachments.map((a) => a.filename) });
  state.rememberAttachments(m);
}
