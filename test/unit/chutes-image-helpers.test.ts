import { describe, expect, it } from 'vitest';
import { buildImageBody } from '../../src/chutes/image-client.js';
import {
  decodeBase64,
  detectImagePayload,
  isJsonContentType,
} from '../../src/chutes/image-payload.js';
import { sniffImageType } from '../../src/chutes/image-sniff.js';

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))),
  );

describe('sniffImageType', () => {
  it.each([
    ['PNG', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'image/png', 'png'],
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), 'image/jpeg', 'jpg'],
    ['GIF87a', bytes('GIF87a', [1, 0]), 'image/gif', 'gif'],
    ['GIF89a', bytes('GIF89a', [1, 0]), 'image/gif', 'gif'],
    ['WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'image/webp', 'webp'],
  ])('recognises %s', (_name, data, mime, extension) => {
    expect(sniffImageType(data)).toEqual({ mime, extension });
  });

  it.each([
    ['an HTML page', bytes('<html><body>502</body></html>')],
    ['JSON', bytes('{"data":[]}')],
    ['nothing', bytes([])],
    ['a cut PNG signature', bytes([0x89, 0x50, 0x4e, 0x47])],
    ['a RIFF that is not WebP', bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ')],
    ['GIF with an unknown version', bytes('GIF90a')],
  ])('rejects %s', (_name, data) => {
    expect(sniffImageType(data)).toBeUndefined();
  });
});

describe('detectImagePayload', () => {
  it('finds b64_json and url in the OpenAI images shape', () => {
    expect(detectImagePayload({ data: [{ b64_json: 'iVBO' }] })).toEqual({
      kind: 'b64',
      data: 'iVBO',
    });
    expect(
      detectImagePayload({ created: 1, data: [{ url: 'https://cdn/x.png', revised_prompt: 'p' }] }),
    ).toEqual({ kind: 'url', url: 'https://cdn/x.png' });
  });

  it('treats a data: URL as inline base64', () => {
    expect(detectImagePayload({ data: [{ url: 'data:image/png;base64,AAAA' }] })).toEqual({
      kind: 'b64',
      data: 'AAAA',
    });
  });

  it.each([
    ['no data', {}],
    ['empty data', { data: [] }],
    ['empty entry', { data: [{}] }],
    ['empty strings', { data: [{ b64_json: '', url: '' }] }],
    ['an error body', { detail: 'model not found' }],
    ['not an object', 'image'],
    ['null', null],
  ])('finds nothing in %s', (_name, json) => {
    expect(detectImagePayload(json)).toBeUndefined();
  });
});

describe('decodeBase64', () => {
  it('decodes standard, URL-safe and wrapped base64', () => {
    expect(decodeBase64('aGVsbG8=')?.toString()).toBe('hello');
    expect(decodeBase64('aGVs\nbG8=')?.toString()).toBe('hello');
    expect(decodeBase64('-_8')).toEqual(Buffer.from([0xfb, 0xff]));
  });
  it('refuses text that is not base64', () => {
    expect(decodeBase64('')).toBeUndefined();
    expect(decodeBase64('not base64!')).toBeUndefined();
  });
});

describe('isJsonContentType', () => {
  it('matches JSON media types only', () => {
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/problem+json')).toBe(true);
    expect(isJsonContentType('image/png')).toBe(false);
    expect(isJsonContentType(null)).toBe(false);
  });
});

describe('buildImageBody', () => {
  it('uses Chutes field names and leaves out what is unset', () => {
    expect(buildImageBody({ model: 'm', prompt: 'p', width: 512, height: 768 })).toEqual({
      model: 'm',
      prompt: 'p',
      width: 512,
      height: 768,
    });
    expect(
      buildImageBody({
        model: 'm',
        prompt: 'p',
        width: 512,
        height: 512,
        negativePrompt: 'blur',
        seed: 0,
        steps: 20,
        guidanceScale: 7.5,
      }),
    ).toEqual({
      model: 'm',
      prompt: 'p',
      width: 512,
      height: 512,
      negative_prompt: 'blur',
      seed: 0,
      num_inference_steps: 20,
      guidance_scale: 7.5,
    });
  });
});
