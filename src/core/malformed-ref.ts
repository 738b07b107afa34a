import { BotError } from '../errors.js';

const NOT_OURS =
  'It was not built by its one encoder, or was built by an incompatible version; retrying cannot help.';

/**
 * A reference that crosses a boundary (a conversation key, a platform's
 * interaction reference) could not be built or read. The message names the
 * fields at fault, never their values where those are secrets (a token, a
 * response_url).
 */
export class MalformedRefError extends BotError {
  declare readonly code: 'malformed_ref';

  /** `hint` says why it happened; by default, that the reference is not one of ours. */
  constructor(what: string, problems: readonly string[], hint: string = NOT_OURS) {
    super('malformed_ref', `Malformed ${what}: ${problems.join('; ')}. ${hint}`);
  }
}
