import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChutesError } from '../../src/chutes/errors.js';
import {
  ChutesImageClient,
  type ChutesImageClientOptions,
  type ImageRequest,
} from '../../src/chutes/image-client.js';
import { startFakeChutes, type FakeChutes } from '../fakes/chutes/index.js';

const KEY = 'cpk_test.key-0123456789';
const DRAW: ImageRequest = {
  model: 'diffuse-1',
  prompt: 'a red fox',
  width: 256,
  height: 192,
  seed: 5,
};

let chutes: FakeChutes;
beforeEach(async () => {
  chutes = await startFakeChutes({ apiKey: KEY, imageModels: ['diffuse-1'] });
});
afterEach(async () => {
  await chutes.close();
});

function client(options: Partial<ChutesImageClientOptions> = {}): ChutesImageClient {
  return new ChutesImageClient({ imageUrl: chutes.imageUrl, apiKey: KEY, ...options });
}

async function failure(promise: Promise<unknown>): Promise<ChutesError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ChutesError) return err;
    throw err;
  }
  throw new Error('expected a ChutesError');
}

describe('ChutesImageClient against the fake Chutes', () => {
  it('takes raw JPEG bytes, what the diffusion template answers by default', async () => {
    const image = await client().generateImage(DRAW);
    expect(image.mime).toBe('image/jpeg');
    expect(image.extension).toBe('jpg');
    expect(image.bytes.equals(chutes.lastImageBytes ?? Buffer.alloc(0))).toBe(true);
    const [sent] = chutes.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/generate', valid: true });
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent?.body).toEqual({
      model: 'diffuse-1',
      prompt: 'a red fox',
      width: 256,
      height: 192,
      seed: 5,
    });
  });

  it.each(['bytes-png', 'b64_json', 'url'] as const)('takes a PNG sent as %s', async (mode) => {
    chutes.scriptImage({ mode });
    const image = await client().generateImage({
      ...DRAW,
      negativePrompt: 'blur',
      steps: 20,
      guidanceScale: 6,
    });
    expect(image.mime).toBe('image/png');
    expect(image.extension).toBe('png');
    expect(image.bytes.equals(chutes.lastImageBytes ?? Buffer.alloc(0))).toBe(true);
    expect(chutes.requests[0]?.valid).toBe(true);
    if (mode === 'url') expect(chutes.requests[1]?.path).toMatch(/^\/files\/img-1\.png$/);
  });

  it('gets the same bytes for the same prompt and seed', async () => {
    const first = await client().generateImage(DRAW);
    const again = await client().generateImage(DRAW);
    const other = await client().generateImage({ ...DRAW, seed: 6 });
    expect(again.bytes.equals(first.bytes)).toBe(true);
    expect(other.bytes.equals(first.bytes)).toBe(false);
  });

  it('rejects bytes that are not an image, whatever the Content-Type says', async () => {
    chutes.scriptImage({ mode: 'not-an-image' });
    const err = await failure(client().generateImage(DRAW));
    expect(err).toMatchObject({ code: 'bad_response', retryable: false });
    expect(err.message).toContain('not a PNG, JPEG, WebP or GIF');
  });

  it.each(['bytes-jpeg', 'b64_json', 'url'] as const)(
    'refuses a %s image over maxBytes',
    async (mode) => {
      chutes.scriptImage({ mode, sizeBytes: 300_000 });
      const err = await failure(client({ maxBytes: 100_000 }).generateImage(DRAW));
      expect(err).toMatchObject({ code: 'bad_response' });
      expect(err.message).toContain('100000 bytes');
    },
  );

  it('times out a generation that takes longer than timeoutMs', async () => {
    chutes.scriptImage({ delayMs: 2000 });
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 150 }).generateImage(DRAW));
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('maps a size outside 128–2048 to bad_request, as Chutes refuses it', async () => {
    const err = await failure(client().generateImage({ ...DRAW, width: 100 }));
    expect(err).toMatchObject({ code: 'bad_request', status: 400 });
    expect(chutes.requests[0]?.valid).toBe(false);
    expect(chutes.requests[0]?.errors).toContain('/width');
  });

  it('maps auth, unknown model and overload errors', async () => {
    const wrongKey = await failure(client({ apiKey: 'cpk_nope.nope' }).generateImage(DRAW));
    expect(wrongKey).toMatchObject({ code: 'unauthorized' });
    expect(wrongKey.message).not.toContain('cpk_nope.nope');
    const unknown = await failure(client().generateImage({ ...DRAW, model: 'nope' }));
    expect(unknown).toMatchObject({ code: 'model_not_found' });
    chutes.scriptImage({ error: { status: 429, body: { detail: 'model is under maintenance' } } });
    const busy = await failure(client().generateImage(DRAW));
    expect(busy).toMatchObject({ code: 'overloaded', retryable: true });
    expect(busy.message).toContain('under maintenance');
  });
});
