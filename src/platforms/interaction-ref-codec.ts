/**
 * What the platforms' interaction-ref modules share: their fields checked by a
 * schema on the way in and on the way out, and a malformed reference refused
 * with the fields at fault named (never their values: a token, a response_url
 * are credentials).
 */
import type { z } from 'zod';
import { MalformedRefError } from '../core/malformed-ref.js';
import { toInteractionRef, type InteractionFields, type InteractionRef } from '../core/surface.js';

export interface InteractionCodec<T> {
  encode(fields: T): InteractionRef;
  /** Throws MalformedRefError for a reference this codec did not build. */
  decode(ref: InteractionRef): T;
}

export function interactionCodec<T extends InteractionFields>(
  what: string,
  schema: z.ZodType<T>,
): InteractionCodec<T> {
  const check = (value: unknown, hint?: string): T => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(the reference)'}: ${issue.message}`,
    );
    throw new MalformedRefError(what, problems, hint);
  };
  return {
    encode: (fields) => toInteractionRef(check(fields, 'The platform sent fields it cannot hold.')),
    decode: (ref) => check(ref),
  };
}
