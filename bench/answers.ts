/**
 * What the fake model says: every question carries a marker (`Q0042`), and the
 * answer to it is derived from the marker (`A0042 w1 w2 …`), so requests, answers
 * and questions can be matched without scripting each reply.
 */
import type { ChatRequestBody, ScriptedChat } from '../test/fakes/chutes/index.js';

export interface AnswerShape {
  /** Content chunks per answer (one short word each). */
  readonly tokens: number;
  /** Pause before the first chunk and between chunks. */
  readonly chunkDelayMs: number;
}

export const questionMarker = (i: number) => `Q${String(i).padStart(4, '0')}`;

/** The chunks the model streams for the question with this marker. */
export function answerChunks(marker: string, shape: AnswerShape): string[] {
  const id = marker.slice(1);
  return [`A${id}`, ...Array.from({ length: shape.tokens - 1 }, (_, i) => ` w${i + 1}`)];
}

/** The marker in the last user message of a request (the question being answered). */
export function markerOf(body: unknown): string | undefined {
  const messages = (body as Partial<ChatRequestBody> | undefined)?.messages;
  if (!Array.isArray(messages)) return undefined;
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const found = lastUser?.content.match(/\bQ\d{4}\b/g);
  return found?.at(-1);
}

/** The fake Chutes' `defaultChat`: the answer for the request's marker, paced like a model. */
export function modelFor(shape: AnswerShape): (body: ChatRequestBody) => ScriptedChat {
  return (body) => {
    const marker = markerOf(body);
    return {
      ...(marker ? { chunks: answerChunks(marker, shape) } : {}),
      firstChunkDelayMs: shape.chunkDelayMs,
      chunkDelayMs: shape.chunkDelayMs,
    };
  };
}
