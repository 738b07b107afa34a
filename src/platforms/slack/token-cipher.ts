/**
 * Slack tokens at rest: AES-256-GCM with the 32-byte SLACK_ENCRYPTION_KEY, a
 * random 12-byte IV per value and the 16-byte auth tag, stored as
 * `v1:<iv>:<tag>:<ciphertext>` (base64url). A value sealed under another key,
 * or altered, fails to open instead of yielding a wrong token.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class TokenCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SLACK_ENCRYPTION_KEY must be 32 bytes');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv, tag, sealed]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join(':');
  }

  open(stored: string): string {
    const [version, iv, tag, sealed] = stored.split(':');
    if (version !== VERSION || !iv || !tag || sealed === undefined)
      throw new Error('a stored Slack token is not in the sealed form');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(sealed, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw new Error(
        'a stored Slack token could not be decrypted: SLACK_ENCRYPTION_KEY is not the key it was stored with',
        { cause: error },
      );
    }
  }
}
