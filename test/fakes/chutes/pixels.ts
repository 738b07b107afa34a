import { createHash } from 'node:crypto';

/** A deterministic byte generator: the same prompt and seed always draw the same image. */
export function seededBytes(...parts: unknown[]): () => number {
  let state = createHash('sha256').update(JSON.stringify(parts)).digest();
  let index = 0;
  return () => {
    if (index === state.length) {
      state = createHash('sha256').update(state).digest();
      index = 0;
    }
    return state[index++] ?? 0;
  };
}
