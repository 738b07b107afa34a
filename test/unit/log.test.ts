import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrub } from '../../src/log.js';

describe('log redaction', () => {
  it("scrubs Slack tokens by their shape: installations' tokens are not known at start", () => {
    expect(
      scrub('refresh xoxe-1-abc123 gave xoxe.xoxb-1-MTIz.def, old xoxb-12-34-Ab9 (bot)', []),
    ).toBe('refresh [redacted] gave [redacted], old [redacted] (bot)');
  });

  it('scrubs known secrets and interaction tokens from text', () => {
    expect(scrub('key cpk_abcdef123 used', ['cpk_abcdef123'])).toBe('key [redacted] used');
    expect(
      scrub('PATCH /api/v10/webhooks/123456/aW50ZXJhY3Rpb24.token/messages/@original', []),
    ).toBe('PATCH /api/v10/webhooks/123456/[redacted]/messages/@original');
    expect(scrub('POST https://hooks.slack.com/commands/T0001/1234/9xKsecretpart failed', [])).toBe(
      'POST https://hooks.slack.com/commands/[redacted] failed',
    );
  });

  it('keeps secrets out of messages, error fields and known paths', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const secret = 'cpk_super_secret_key_42';
    const log = createLogger('info', [secret], sink);
    const error = Object.assign(new Error(`failed with ${secret}`), {
      url: 'https://discord.com/api/v10/webhooks/1/tok3n.value/messages/@original',
      requestBody: { headers: { Authorization: `Bearer ${secret}` } },
    });
    log.error(
      { err: error, config: { chutes: { apiKey: secret } }, token: 'discord-token' },
      `oops ${secret}`,
    );
    const output = lines.join('');
    expect(output).toContain('oops [redacted]');
    expect(output).toContain('failed with [redacted]');
    expect(output).not.toContain(secret);
    expect(output).not.toContain('tok3n.value');
    expect(output).not.toContain('discord-token');
  });
});
