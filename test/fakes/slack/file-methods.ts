import { addBotMessage } from './bot-messages.js';
import { readBlocks } from './content.js';
import type { FakeContext, MethodTable } from './context.js';
import { fail } from './errors.js';
import { slackId } from './ids.js';
import { parseMultipart } from './multipart.js';

/**
 * files.getUploadURLExternal and files.completeUploadExternal: the two API
 * halves of `files.uploadV2`. The bytes travel in between, to the
 * `upload_url`, which points back at this fake (see `receiveUpload`).
 */
export function fileMethods(ctx: FakeContext): MethodTable {
  const { state, options } = ctx;
  return {
    'files.getUploadURLExternal': {
      auth: 'bot',
      handle({ params }) {
        const filename = params.text('filename');
        if (!filename) throw fail('invalid_arguments', 'filename is required');
        const length = params.int('length');
        // Documented: "typically only occurs when the length provided is 0".
        if (!length) throw fail('missing_argument');
        if (length < 0) throw fail('invalid_arguments', 'length must be positive');
        if (length > options.maxUploadBytes) throw fail('file_upload_size_restricted');
        const id = slackId('F');
        state.files.set(id, { id, name: filename, declaredLength: length });
        return { upload_url: `${state.baseUrl}/upload/v1/${id}`, file_id: id };
      },
    },

    'files.completeUploadExternal': {
      auth: 'bot',
      handle({ params, now }) {
        const list = params.json('files', 'invalid_arguments');
        if (!Array.isArray(list) || !list.length) {
          throw fail('invalid_arguments', 'files must be a non-empty array');
        }
        const wanted = list.map((f) => (f ?? {}) as { id?: unknown; title?: unknown });
        // Check every file before sharing any, as one call shares them together.
        const found = wanted.map((w) => {
          const f = typeof w.id === 'string' ? state.files.get(w.id) : undefined;
          if (!f || !f.bytes || f.completedAt !== undefined) throw fail('file_not_found');
          return f;
        });
        const channelIds = (params.text('channel_id') ?? params.text('channels'))?.split(',');
        if (channelIds && channelIds.length > 1) {
          throw fail('invalid_arguments', 'the fake shares to one channel per call');
        }
        const ch = channelIds ? state.writableChannel(channelIds[0]) : undefined;
        const asked = params.text('thread_ts');
        if (asked !== undefined && !ch)
          throw fail('invalid_arguments', 'thread_ts needs channel_id');
        const threadTs = ch && asked !== undefined ? state.threadRoot(ch.id, asked) : undefined;
        const comment = params.text('initial_comment');
        // Documented: blocks are ignored when initial_comment is given.
        const blocks = comment === undefined ? readBlocks(params) : undefined;
        const message = ch
          ? addBotMessage(ctx, {
              channel: ch.id,
              threadTs,
              content: { text: comment ?? '', ...(blocks ? { blocks } : {}) },
              origin: 'file-share',
              via: 'post',
              now,
            })
          : undefined;
        if (message) message.files = found.map((f) => f.id);
        found.forEach((f, i) => {
          const title = wanted[i]?.title;
          f.title = typeof title === 'string' && title ? title : f.name;
          f.completedAt = now;
          if (ch) f.channel = ch.id;
          if (threadTs !== undefined) f.threadTs = threadTs;
          if (comment !== undefined) f.initialComment = comment;
          if (message) f.messageTs = message.ts;
        });
        return {
          files: found.map((f) => ({
            id: f.id,
            name: f.name,
            title: f.title,
            size: f.bytes?.length ?? 0,
            user: options.botUserId,
            created: Math.floor(now / 1000),
            shares: ch ? { [ch.id.startsWith('G') ? 'private' : 'public']: {} } : {},
          })),
        };
      },
    },
  };
}

export interface UploadReply {
  status: number;
  body: string;
}

/**
 * The POST of the bytes to an `upload_url`. The WebClient sends them as
 * multipart form data (one file part); curl-style clients send the raw body;
 * both are accepted. The byte count must be the `length` announced.
 */
export function receiveUpload(
  ctx: FakeContext,
  id: string,
  contentType: string | undefined,
  body: Buffer,
): UploadReply {
  const file = ctx.state.files.get(id);
  if (!file) return { status: 404, body: 'unknown upload url' };
  if (file.bytes) return { status: 400, body: 'this upload url was already used' };
  let bytes = body;
  if (contentType?.toLowerCase().startsWith('multipart/form-data')) {
    const parts = parseMultipart(contentType, body);
    const part = parts?.find((p) => p.filename !== undefined) ?? parts?.[0];
    if (!part) return { status: 400, body: 'no file in the form data' };
    bytes = part.data;
  }
  if (bytes.length !== file.declaredLength) {
    return {
      status: 400,
      body: `length mismatch: announced ${file.declaredLength} bytes, received ${bytes.length}`,
    };
  }
  file.bytes = Buffer.from(bytes);
  file.uploadedAt = Date.now();
  return { status: 200, body: `OK - ${bytes.length}` };
}
