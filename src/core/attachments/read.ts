/**
 * Reads the files attached to a question, in the worker: images downscaled
 * for the model, text files and PDFs as text, each within its cap (limits.ts),
 * and one sentence for each file left out. Nothing is fetched past a cap: the
 * platform's declared size is checked first, then the download is cut off.
 */
import { attachmentText } from './messages.js';
import { fileKind } from './kind.js';
import { ATTACHMENT_LIMITS, type AttachmentLimits } from './limits.js';
import { dataUri, prepareImage, type PreparedImage } from './image.js';
import { pdfText } from './pdf.js';
import { readCapped, TooLargeError } from './read-capped.js';
import type { AttachmentRef, FileKind } from './types.js';

/** Fetches one attached file with the platform's credentials (ChatSurface.fetchAttachment). */
export type AttachmentFetcher = (file: AttachmentRef, signal: AbortSignal) => Promise<Response>;

export interface ReadOptions {
  /** Unset: the platform cannot fetch files, and every file is left out. */
  readonly fetch?: AttachmentFetcher;
  /** The images go to a model that sees them; otherwise they are not fetched at all. */
  readonly images: boolean;
  readonly limits?: AttachmentLimits;
  readonly signal?: AbortSignal;
  readonly log?: { warn(details: object, message: string): void };
}

export interface ImageInput extends PreparedImage {
  readonly name: string;
  /** `data:<mime>;base64,…` */
  readonly url: string;
}

export interface ReadAttachments {
  readonly images: readonly ImageInput[];
  /** For the model, after the question: each file's text under its name. */
  readonly text: string;
  /** What the history keeps in place of the files: their text, and a note for each image. */
  readonly trace: string;
  /** One sentence each, for the reply. */
  readonly notes: readonly string[];
}

export async function readAttachments(
  files: readonly AttachmentRef[],
  options: ReadOptions,
): Promise<ReadAttachments> {
  const limits = options.limits ?? ATTACHMENT_LIMITS;
  const images: ImageInput[] = [];
  const notes: string[] = [];
  let text = '';
  let trace = '';
  let textChars = 0;
  let fetched = 0;
  const unsupported: string[] = [];
  const extraImages: string[] = [];
  const overQuestion: string[] = [];
  const addText = (name: string, content: string, cutAtFetch: boolean) => {
    const room = Math.min(limits.maxFileChars, limits.maxQuestionChars - textChars);
    const cut = cutAtFetch || content.length > room;
    const kept = content.slice(0, Math.max(0, room));
    if (cut) notes.push(attachmentText.cut(name, kept.length));
    textChars += kept.length;
    const block = `\n\n[file ${name}]\n${kept}${cut ? '\n[… the rest of this file was cut]' : ''}`;
    text += block;
    trace += block;
  };
  const imageNote = (name: string, seen: string) => {
    const line = `\n\n[image ${name} was attached here: ${seen}]`;
    text += line;
    trace += line;
  };

  const kept = files.slice(0, limits.maxFiles);
  if (files.length > kept.length)
    notes.push(
      attachmentText.tooManyFiles(
        limits.maxFiles,
        files.slice(kept.length).map((f) => f.name),
      ),
    );
  for (const file of kept) {
    options.signal?.throwIfAborted();
    const kind = fileKind(file);
    if (kind === 'other') {
      unsupported.push(file.name);
      continue;
    }
    if (kind === 'image' && !options.images) {
      imageNote(file.name, 'the model that answered cannot see images');
      continue;
    }
    if (kind === 'image' && images.length >= limits.maxImages) {
      extraImages.push(file.name);
      continue;
    }
    const cap = capOf(kind, limits);
    // Text is read up to its cap and cut; the others are whole or nothing.
    const whole = kind !== 'text';
    if (whole && file.size !== undefined && file.size > cap) {
      notes.push(attachmentText.tooLarge(file.name, kind, cap));
      continue;
    }
    const room = limits.maxQuestionBytes - fetched;
    if (room <= 0 || (whole && (file.size ?? 0) > room)) {
      overQuestion.push(file.name);
      continue;
    }
    let bytes: Buffer;
    let cut: boolean;
    try {
      if (!options.fetch) throw new Error('this platform cannot fetch files');
      const signal = AbortSignal.any([
        AbortSignal.timeout(limits.fetchTimeoutMs),
        ...(options.signal ? [options.signal] : []),
      ]);
      const response = await options.fetch(file, signal);
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP ${response.status}`);
      }
      const read = await readCapped(response, Math.min(cap, room), { truncate: !whole });
      bytes = read.bytes;
      cut = read.cut;
    } catch (error) {
      options.signal?.throwIfAborted();
      if (error instanceof TooLargeError) {
        if (error.limit < cap) overQuestion.push(file.name);
        else notes.push(attachmentText.tooLarge(file.name, kind, cap));
      } else {
        options.log?.warn({ err: error, file: file.name }, 'could not fetch an attached file');
        notes.push(attachmentText.notFetched(file.name));
      }
      continue;
    }
    fetched += bytes.length;
    try {
      if (kind === 'image') {
        const image = await prepareImage(bytes, limits.imageSide);
        images.push({ ...image, name: file.name, url: dataUri(image) });
        const seen = `${image.width}×${image.height} px, shown to the model with this question only`;
        // The model reads the text part; the image parts follow it.
        trace += `\n\n[image ${file.name} was attached here: ${seen}]`;
      } else if (kind === 'pdf') {
        addText(file.name, (await pdfText(bytes)).trim(), false);
      } else {
        const decoded = decodeText(bytes);
        if (decoded === undefined) unsupported.push(file.name);
        else addText(file.name, decoded, cut);
      }
    } catch (error) {
      options.log?.warn({ err: error, file: file.name }, 'could not read an attached file');
      notes.push(attachmentText.unreadable(file.name, kind));
    }
  }
  if (unsupported.length > 0) notes.push(attachmentText.unsupported(unsupported));
  if (extraImages.length > 0)
    notes.push(attachmentText.tooManyImages(limits.maxImages, extraImages));
  if (overQuestion.length > 0)
    notes.push(attachmentText.questionFull(limits.maxQuestionBytes, overQuestion));
  return { images, text, trace, notes };
}

function capOf(kind: FileKind, limits: AttachmentLimits): number {
  return kind === 'image'
    ? limits.maxImageBytes
    : kind === 'pdf'
      ? limits.maxPdfBytes
      : limits.maxTextBytes;
}

/** UTF-8 text, or undefined for bytes that are not text (NULs: a binary file). */
function decodeText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  // A cut may end inside a character: its remains are dropped.
  return new TextDecoder('utf-8').decode(bytes).replace(/\uFFFD+$/, '');
}
