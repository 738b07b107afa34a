/** Slack tokens at rest: AES-256-GCM, a fresh IV per value, tampering and wrong keys refused. */
import { describe, expect, it } from 'vitest';
import { TokenCipher } from '../../src/platforms/slack/token-cipher.js';

const cipher = new TokenCipher(Buffer.alloc(32, 7));

describe('TokenCipher', () => {
  it('seals a token so that it opens again, differently each time, without the token in sight', () => {
    const token = 'xoxe.xoxb-1-abcdef0123456789';
    const a = cipher.seal(token);
    const b = cipher.seal(token);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(a).not.toContain('xox');
    expect(cipher.open(a)).toBe(token);
    expect(cipher.open(b)).toBe(token);
  });

  it('refuses a value sealed under another key, or altered', () => {
    const sealed = cipher.seal('xoxb-secret');
    expect(() => new TokenCipher(Buffer.alloc(32, 8)).open(sealed)).toThrow(
      /SLACK_ENCRYPTION_KEY is not the key it was stored with/,
    );
    const parts = sealed.split(':');
    const last = parts[3]!;
    parts[3] = (last[0] === 'A' ? 'B' : 'A') + last.slice(1);
    expect(() => cipher.open(parts.join(':'))).toThrow(/could not be decrypted/);
    expect(() => cipher.open('xoxb-plain')).toThrow(/not in the sealed form/);
  });

  it('takes only a 32-byte key', () => {
    expect(() => new TokenCipher(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
