import { randomBytes, randomUUID } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A Slack-looking id: `prefix` + upper-case letters and digits (`Ev…`, `F…`). */
export function slackId(prefix: string, length = 10): string {
  let id = prefix;
  for (const b of randomBytes(length)) id += ALNUM[b % ALNUM.length];
  return id;
}

export const envelopeId = (): string => randomUUID();

/** Shaped like Slack's: `<digits>.<digits>.<hex>`. */
export function triggerId(): string {
  const digits = (n: number) => String(BigInt(`0x${randomBytes(n).toString('hex')}`));
  return `${digits(6)}.${digits(6)}.${randomBytes(16).toString('hex')}`;
}

/**
 * Message timestamps: `seconds.microseconds` from the wall clock, strictly
 * increasing even within one microsecond, so every `ts` in the fake is unique
 * and later messages sort after earlier ones (as Slack's do within a channel).
 */
export class TsClock {
  private last = 0;

  next(now = Date.now()): string {
    const micros = Math.max(now * 1000, this.last + 1);
    this.last = micros;
    const seconds = Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }
}

/** A ts for a moment (not unique): for fields such as `edited.ts`. */
export const tsAt = (ms: number): string =>
  `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
