/** The sentences people read about their attachments, one each, above the answer. */
import type { FileKind } from './types.js';

/** A file's name as a sentence shows it: one line, no backticks, not too long. */
export function shownName(name: string): string {
  const line = name.replace(/[`\r\n\t]/g, ' ').trim() || 'a file';
  return `\`${line.length > 80 ? `${line.slice(0, 79)}…` : line}\``;
}

const list = (names: readonly string[]) => names.map(shownName).join(', ');
const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;
const noun = (kind: FileKind) =>
  kind === 'image' ? 'image' : kind === 'pdf' ? 'PDF' : kind === 'text' ? 'text file' : 'file';

export const SUPPORTED =
  'images (PNG, JPEG, WebP, GIF), text files (plain text, Markdown, code, CSV, JSON) and PDFs';

export const attachmentText = {
  unsupported: (names: readonly string[]) =>
    `I read ${SUPPORTED}; ${list(names)} ${names.length === 1 ? 'is' : 'are'} none of these, so I left ${names.length === 1 ? 'it' : 'them'} out.`,
  tooLarge: (name: string, kind: FileKind, limit: number) =>
    `${shownName(name)} is larger than ${megabytes(limit)}, the most I read of one ${noun(kind)}, so I left it out.`,
  tooManyFiles: (max: number, rest: readonly string[]) =>
    `I read at most ${max} files of a question; I left out ${list(rest)}.`,
  tooManyImages: (max: number, rest: readonly string[]) =>
    `The model takes at most ${max} images a question; I left out ${list(rest)}.`,
  questionFull: (limit: number, rest: readonly string[]) =>
    `I read at most ${megabytes(limit)} of files for one question; I left out ${list(rest)}.`,
  notFetched: (name: string) =>
    `I could not fetch ${shownName(name)} (its link may have expired); attach it again to have it read.`,
  unreadable: (name: string, kind: FileKind) =>
    `${shownName(name)} could not be read as ${kind === 'image' ? 'an image' : kind === 'pdf' ? 'a PDF' : 'text'}, so I left it out.`,
  cut: (name: string, chars: number) =>
    `${shownName(name)} is long: the model read its first ${chars.toLocaleString('en-US')} characters.`,
  cannotSee: (model: string) =>
    `${model} cannot see images, so I answered the text only (admins can set vision_model to a model that can).`,
  answeredBy: (vision: string, model: string) =>
    `Answered by ${vision}, since ${model} cannot see images.`,
};
