import { describe, expect, it } from 'vitest';
import { BotError } from '../../src/errors.js';
import { ChutesError } from '../../src/chutes/errors.js';
import { chutesErrorFromResponse, parseRetryAfter } from '../../src/chutes/http-errors.js';
import { errorFromStreamPayload } from '../../src/chutes/stream-error.js';

const KEY = 'cpk_0123456789abcdef.secretpart';

function fromStatus(
  status: number,
  body: unknown = { detail: 'nope' },
  headers: Record<string, string> = {},
) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return chutesErrorFromResponse(status, new Headers(headers), text, {
    operation: 'Chat completion with model-a',
    model: 'model-a',
    secrets: [KEY],
    now: Date.parse('2025-01-01T00:00:00Z'),
  });
}

describe('chutesErrorFromResponse', () => {
  it.each([
    [400, 'bad_request', false],
    [401, 'unauthorized', false],
    [402, 'no_balance', false],
    [403, 'unauthorized', false],
    [404, 'model_not_found', false],
    [413, 'bad_request', false],
    [422, 'bad_request', false],
    [429, 'overloaded', true],
    [500, 'server_error', true],
    [502, 'server_error', true],
    [503, 'overloaded', true],
    [504, 'server_error', true],
  ] as const)('maps HTTP %i to %s (retryable %s)', (status, code, retryable) => {
    const err = fromStatus(status);
    expect(err).toBeInstanceOf(ChutesError);
    expect(err).toBeInstanceOf(BotError);
    expect(err.name).toBe('ChutesError');
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
    expect(err.retryable).toBe(retryable);
    expect(err.message).toContain(`HTTP ${status}: nope`);
  });

  it('names the model on a 404 and says what to do', () => {
    const err = fromStatus(404, { detail: 'model not found: model-a' });
    expect(err.message).toContain('"model-a"');
    expect(err.message).toContain('/v1/models');
  });

  it('recognises a refused prompt on 400 and 422 only', () => {
    expect(fromStatus(400, { detail: 'Prompt was flagged by content moderation' }).code).toBe(
      'prompt_rejected',
    );
    expect(fromStatus(422, { detail: 'Input rejected: violates the content policy' }).code).toBe(
      'prompt_rejected',
    );
    expect(fromStatus(400, { detail: 'bad request, naughty naughty' }).code).toBe('bad_request');
    expect(fromStatus(500, { detail: 'content policy check crashed' }).code).toBe('server_error');
  });

  it('reads Retry-After in seconds and as an HTTP date', () => {
    expect(fromStatus(429, {}, { 'Retry-After': '7' }).retryAfterMs).toBe(7000);
    expect(
      fromStatus(503, {}, { 'Retry-After': 'Wed, 01 Jan 2025 00:00:30 GMT' }).retryAfterMs,
    ).toBe(30_000);
    expect(fromStatus(429).retryAfterMs).toBeUndefined();
    expect(fromStatus(429, {}, { 'Retry-After': '7' }).message).toContain('wait 7 s');
  });

  it('never puts the API key or a bearer token in the message', () => {
    const bodies = [
      { detail: `Invalid token ${KEY}` },
      { detail: 'Authorization: Bearer abc.def.ghi was refused' },
      { error: { message: `key cpk_otherkey.zzz unknown` } },
      `<html><title>401 ${KEY}</title></html>`,
    ];
    for (const body of bodies) {
      const err = fromStatus(401, body);
      expect(err.message).not.toContain(KEY);
      expect(err.message).not.toContain('abc.def.ghi');
      expect(err.message).not.toContain('cpk_otherkey');
      expect(err.message).toContain('[redacted]');
    }
  });

  it('quotes the detail from the shapes servers use, short and on one line', () => {
    expect(fromStatus(400, { error: { message: 'max_tokens too large' } }).message).toContain(
      'max_tokens too large',
    );
    expect(
      fromStatus(400, { detail: { object: 'error', message: 'ctx len', code: 400 } }).message,
    ).toContain('HTTP 400: ctx len.');
    expect(
      fromStatus(422, { detail: [{ loc: ['body', 'width'], msg: 'must be ≥ 128' }] }).message,
    ).toContain('width: must be ≥ 128');
    expect(
      fromStatus(429, '<html><head><title>429 Too Many Requests</title></head></html>').message,
    ).toContain('HTTP 429: 429 Too Many Requests');
    const long = fromStatus(500, { detail: `  line one\n${'x'.repeat(1000)}  ` }).message;
    expect(long).toContain('HTTP 500: line one x');
    expect(long.length).toBeLessThan(500);
    expect(fromStatus(500, '').message).toContain('HTTP 500.');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['0', 0],
    ['12', 12_000],
    ['1.5', 1500],
    ['Wed, 01 Jan 2025 00:01:00 GMT', 60_000],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
  ])('%s → %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
  it('ignores absent and garbage values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('errorFromStreamPayload', () => {
  it('ignores ordinary chunks', () => {
    expect(errorFromStreamPayload({ choices: [] })).toBeUndefined();
    expect(errorFromStreamPayload({ choices: [], error: null })).toBeUndefined();
    expect(errorFromStreamPayload('text')).toBeUndefined();
  });

  it('maps vLLM/SGLang error objects by their code', () => {
    const bad = errorFromStreamPayload({ error: { message: 'context too long', code: 400 } });
    expect(bad).toMatchObject({ code: 'bad_response', retryable: false, status: 400 });
    expect(bad?.message).toContain('context too long');
    const busy = errorFromStreamPayload({ object: 'error', message: 'busy', code: 503 });
    expect(busy).toMatchObject({ code: 'overloaded', retryable: true });
    const crashed = errorFromStreamPayload({ error: { message: 'CUDA error', code: 500 } });
    expect(crashed).toMatchObject({ code: 'bad_response', retryable: true });
  });

  it('maps Chutes string errors', () => {
    expect(errorFromStreamPayload({ error: 'infra_overload' })).toMatchObject({
      code: 'overloaded',
    });
    expect(
      errorFromStreamPayload({ error: 'Unhandled exception during response stream: boom' }),
    ).toMatchObject({ code: 'bad_response', retryable: true });
  });
});
