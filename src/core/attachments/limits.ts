/**
 * How much of what people attach is read. Chutes takes at most 8 images a
 * request and scales them to 1,024 px (PLATFORM-FACTS: Vision), so images are
 * downscaled to that before they are sent and a larger one costs no more.
 */
export const ATTACHMENT_LIMITS = {
  /** Files read per question; the rest are named in one sentence and not fetched. */
  maxFiles: 10,
  /** Images sent with a question: Chutes' own limit per request. */
  maxImages: 8,
  /** Longest side of an image sent to the model, in pixels (what Chutes scales to). */
  imageSide: 1024,
  /** Largest image fetched, in bytes. */
  maxImageBytes: 20 * 1024 * 1024,
  /** Largest PDF fetched, in bytes. */
  maxPdfBytes: 10 * 1024 * 1024,
  /** Most of a text file fetched, in bytes; a longer one is read up to here, with a note. */
  maxTextBytes: 512 * 1024,
  /** Most characters of one file's text put in the question; the rest is cut, with a note. */
  maxFileChars: 20_000,
  /** Most characters of all files' text in one question. */
  maxQuestionChars: 40_000,
  /** Most bytes fetched for one question, all files together. */
  maxQuestionBytes: 40 * 1024 * 1024,
  /** Longest wait for one file. */
  fetchTimeoutMs: 20_000,
} as const;

export type AttachmentLimits = { readonly [K in keyof typeof ATTACHMENT_LIMITS]: number };
