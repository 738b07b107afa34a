/**
 * The fake Chutes of a chaos run: every question carries a marker (`Q0042`)
 * and is answered with a text derived from it (`A0042 w1 w2 …`, see
 * bench/answers.ts), so the exact text each question must end with is known.
 * The first request for some questions fails the way Chutes fails: a 429
 * (capacity), a 503 "No instances available (yet)", or a stream cut halfway.
 */
import { randomUUID } from 'node:crypto';
import { answerChunks, markerOf, type AnswerShape } from '../../bench/answers.js';
import type {
  ChatRequestBody,
  ImageRequestBody,
  ScriptedChat,
  ScriptedError,
  ScriptedImage,
} from '../fakes/chutes/index.js';

export type ChutesFault = '429' | '503' | 'cut';

/** Which fault (if any) the first request for question `n` meets: three questions in ten. */
export function faultFor(n: number, kind: 'chat' | 'image'): ChutesFault | undefined {
  const slot = n % 10;
  if (slot === 2) return '429';
  if (slot === 5) return '503';
  if (slot === 8) return kind === 'chat' ? 'cut' : '503';
  return undefined;
}

/** The number in a marker (`Q0042` → 42). */
export const markerNumber = (marker: string) => Number(marker.slice(1));

/** The marker in an image prompt. */
export const promptMarker = (prompt: string) => /\bQ\d{4}\b/.exec(prompt)?.[0];

/** The exact text question `marker` must end with. */
export const answerText = (marker: string, shape: AnswerShape) =>
  answerChunks(marker, shape).join('');

const CAPACITY: ScriptedError = {
  status: 429,
  body: { detail: 'Infrastructure is at maximum capacity, try again later' },
};
const noInstances = (): ScriptedError => ({
  status: 503,
  body: { detail: `No instances available (yet) for chute_id=${randomUUID()}` },
});

/** The fake Chutes' `defaultChat` and `defaultImage`, and what they injected. */
export class ChaosModel {
  readonly injected: Record<ChutesFault, number> = { '429': 0, '503': 0, cut: 0 };
  /** Requests seen per marker (chat and image apart). */
  private readonly seen = new Map<string, number>();

  constructor(private readonly shape: AnswerShape) {}

  readonly chat = (body: ChatRequestBody): ScriptedChat => {
    const marker = markerOf(body);
    if (!marker) return {};
    const chunks = answerChunks(marker, this.shape);
    const paced = {
      chunks,
      firstChunkDelayMs: this.shape.chunkDelayMs,
      chunkDelayMs: this.shape.chunkDelayMs,
    };
    const fault = this.firstTime(`chat ${marker}`)
      ? faultFor(markerNumber(marker), 'chat')
      : undefined;
    if (!fault) return paced;
    this.injected[fault] += 1;
    if (fault === 'cut') return { ...paced, failAfterChunks: Math.floor(chunks.length / 2) };
    return { error: fault === '429' ? CAPACITY : noInstances() };
  };

  readonly image = (body: ImageRequestBody): ScriptedImage => {
    const marker = promptMarker(body.prompt);
    const fault =
      marker && this.firstTime(`image ${marker}`)
        ? faultFor(markerNumber(marker), 'image')
        : undefined;
    if (!fault) return { delayMs: 500 };
    this.injected[fault] += 1;
    return { error: fault === '429' ? CAPACITY : noInstances() };
  };

  private firstTime(key: string): boolean {
    const count = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, count);
    return count === 1;
  }
}
