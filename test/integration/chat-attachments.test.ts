/**
 * A chat job with files, on a real database: the model gets the files' text
 * and the images as parts, the history keeps a bounded trace (never the
 * bytes), the reply starts with the sentences about what was left out, and
 * a question of only unreadable files is not sent to the model.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentRef } from '../../src/core/attachments/index.js';
import { handleChatJob } from '../../src/core/chat-job.js';
import { encodeConversationKey } from '../../src/core/conversation-key.js';
import type { ChatJob, JobContext } from '../../src/core/jobs.js';
import { EMPTY_PROMPT } from '../../src/core/user-messages.js';
import { PgConversationStore } from '../../src/db/conversation-store.js';
import { chatDeps, TEST_DEFAULTS } from '../support/chat-deps.js';
import { MemorySurface, unlimited, WindowBudget } from '../support/memory-surface.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { ScriptedModel } from '../support/scripted-model.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

/** A surface that serves attached files from memory, as a platform's CDN would. */
class FileSurface extends MemorySurface {
  readonly files = new Map<string, Buffer>();
  readonly fetched: string[] = [];

  async fetchAttachment(_tenant: string, file: AttachmentRef): Promise<Response> {
    this.fetched.push(file.name);
    const bytes = this.files.get(file.url);
    return bytes ? new Response(new Uint8Array(bytes)) : new Response('', { status: 404 });
  }

  attach(name: string, bytes: Buffer, contentType: string): AttachmentRef {
    const url = `https://cdn.test/${name}`;
    this.files.set(url, bytes);
    return { url, name, size: bytes.length, contentType };
  }
}

let n = 0;
function job(text: string, attachments: AttachmentRef[], channelId = 'c-files'): ChatJob {
  n += 1;
  return {
    v: 1,
    platform: 'memory',
    tenantId: 'g-files',
    conversationKey: encodeConversationKey({ channelId }),
    channelId,
    messageId: `m${n}-${Date.now()}`,
    author: { id: 'u-ann', name: 'Ann' },
    text,
    attachments,
    receivedAt: new Date().toISOString(),
  };
}

const ctx = (jobId: string): JobContext => ({
  jobId,
  finalAttempt: true,
  progress: [],
  saveProgress: async () => undefined,
});

function setup(modalities: Record<string, string[]> = {}) {
  const surface = new FileSurface(unlimited(4_000));
  const model = new ScriptedModel();
  const deps = {
    ...chatDeps({ db: database.db, budget: new WindowBudget(), surface, model }),
    models: { inputModalities: async (m: string) => modalities[m] },
  };
  const shown = () => [...surface.contents.values()].at(-1) ?? '';
  return { surface, model, deps, shown };
}

describe('a chat job with files', () => {
  it('reads a text file into the question and keeps it in the history', async () => {
    const { surface, model, deps, shown } = setup();
    const file = surface.attach('todo.txt', Buffer.from('buy plums'), 'text/plain');
    await handleChatJob(job('what is on my list?', [file], 'c-text'), ctx('files-text'), deps);
    const question = model.calls[0]!.request.messages.at(-1)!.content;
    expect(question).toBe('Ann: what is on my list?\n\n[file todo.txt]\nbuy plums');
    expect(shown()).toBe('answer 1');
    const history = await new PgConversationStore(database.db).history(
      'memory',
      encodeConversationKey({ channelId: 'c-text' }),
      10,
    );
    expect(history.map((m) => m.content)).toEqual([
      'what is on my list?\n\n[file todo.txt]\nbuy plums',
      'answer 1',
    ]);
  });

  it('sends images as parts to a model that sees them, and keeps only a note of them', async () => {
    const { surface, model, deps } = setup({ [TEST_DEFAULTS.model]: ['text', 'image'] });
    const png = await sharp({
      create: { width: 2000, height: 500, channels: 3, background: '#0f0' },
    })
      .png()
      .toBuffer();
    const file = surface.attach('wide.png', png, 'image/png');
    await handleChatJob(job('what is this?', [file], 'c-image'), ctx('files-image'), deps);
    const asked = model.calls[0]!.request.messages.at(-1)!;
    expect(Array.isArray(asked.content)).toBe(true);
    const parts = asked.content as { type: string; image_url?: { url: string } }[];
    expect(parts.map((p) => p.type)).toEqual(['text', 'image_url']);
    expect(parts[1]!.image_url!.url.startsWith('data:image/png;base64,')).toBe(true);

    await handleChatJob(job('and now?', [], 'c-image'), ctx('files-image-2'), deps);
    const later = JSON.stringify(model.calls[1]!.request.messages);
    expect(later).not.toContain('base64');
    expect(later).toContain('[image wide.png was attached here: 1024×256 px');
  });

  it('does not ask the model when only unreadable files came, and says why', async () => {
    const { surface, model, deps, shown } = setup();
    const file = surface.attach('movie.mp4', Buffer.from('....'), 'video/mp4');
    await handleChatJob(job('', [file], 'c-empty'), ctx('files-empty'), deps);
    expect(model.calls).toEqual([]);
    expect(surface.fetched).toEqual([]);
    expect(shown()).toContain('`movie.mp4` is none of these');
    expect(shown()).toContain(EMPTY_PROMPT);
  });
});
