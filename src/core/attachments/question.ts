/**
 * A question with its attachments, ready for the model: which model answers
 * (route.ts), the files read (read.ts), the text the model gets and the text
 * the history keeps, and the sentences shown above the answer.
 */
import type { ChatMessage, PartsMessage } from '../../chutes/chat-types.js';
import { readAttachments, type AttachmentFetcher, type ImageInput } from './read.js';
import { fileKind } from './kind.js';
import { routeForImages, type ModalityLookup } from './route.js';
import type { AttachmentRef } from './types.js';

export interface QuestionWithFiles {
  readonly model: string;
  /** The question as the model reads it: its text, then the files' text. */
  readonly text: string;
  /** The question as the history keeps it: its text, the files' text, a note per image. */
  readonly stored: string;
  readonly images: readonly ImageInput[];
  /** Shown above the answer: one line per sentence, then a blank line ('' for none). */
  readonly lead: string;
}

export interface QuestionDeps {
  readonly fetch?: AttachmentFetcher;
  readonly models?: ModalityLookup;
  readonly signal?: AbortSignal;
  readonly log: { warn(details: object, message: string): void };
}

export async function withAttachments(
  question: { readonly text: string; readonly attachments?: readonly AttachmentRef[] },
  settings: { readonly model: string; readonly visionModel: string },
  deps: QuestionDeps,
): Promise<QuestionWithFiles> {
  const files = question.attachments ?? [];
  if (files.length === 0)
    return {
      model: settings.model,
      text: question.text,
      stored: question.text,
      images: [],
      lead: '',
    };
  const hasImages = files.some((file) => fileKind(file) === 'image');
  const route = await routeForImages(settings, hasImages, deps.models, (error) =>
    deps.log.warn(
      { err: error },
      'could not tell from the models list whether a model sees images',
    ),
  );
  const read = await readAttachments(files, {
    fetch: deps.fetch,
    images: route.seesImages,
    signal: deps.signal,
    log: deps.log,
  });
  const notes = [...(route.note ? [route.note] : []), ...read.notes];
  return {
    model: route.model,
    text: (question.text + read.text).trim(),
    stored: (question.text + read.trace).trim(),
    images: read.images,
    lead: notes.length === 0 ? '' : `${notes.map((note) => `*${note}*`).join('\n')}\n\n`,
  };
}

/** The messages with the question's images added to its last message, as image parts. */
export function withImages(
  messages: readonly ChatMessage[],
  images: readonly ImageInput[],
): (ChatMessage | PartsMessage)[] {
  const last = messages.at(-1);
  if (images.length === 0 || !last || last.role !== 'user') return [...messages];
  const parts: PartsMessage = {
    role: 'user',
    content: [
      { type: 'text', text: last.content },
      ...images.map((image) => ({ type: 'image_url' as const, image_url: { url: image.url } })),
    ],
  };
  return [...messages.slice(0, -1), parts];
}

/**
 * Roughly what an image costs in the model's context, kept free of history:
 * a 1,024 px square is about 1,340 tokens for Qwen2.5-VL (a token per 28 px
 * square); Gemma 3 and Llama 4 take fewer. The larger guess is the safe one.
 */
export const IMAGE_TOKENS = 1_400;
