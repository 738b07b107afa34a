import { describe, expect, it } from 'vitest';
import { ChutesImageClient } from '../../src/chutes/image-client.js';
import { encodePng } from '../fakes/chutes/png.js';

const PNG = encodePng(128, 128, 'unit');

/** A fetch that answers each call in turn and records what was asked. */
function scriptedFetch(answers: Response[]) {
  const calls: { url: string; headers: Headers }[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), headers: new Headers(init?.headers) });
    const answer = answers.shift();
    if (!answer) throw new Error('unexpected request');
    return answer;
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });

describe('ChutesImageClient over a stubbed fetch', () => {
  it('sends the key only back to the origin that issued the image URL', async () => {
    const { fetchImpl, calls } = scriptedFetch([
      json({ data: [{ url: 'https://cdn.example/img.png' }] }),
      new Response(PNG, { headers: { 'content-type': 'image/png' } }),
      json({ data: [{ url: '/files/img.png' }] }),
      new Response(PNG, { headers: { 'content-type': 'image/png' } }),
    ]);
    const client = new ChutesImageClient({
      imageUrl: 'https://image.chutes.test/generate',
      apiKey: 'k',
      fetch: fetchImpl,
    });
    const req = { model: 'm', prompt: 'p', width: 128, height: 128 };
    await client.generateImage(req);
    await client.generateImage(req);
    expect(calls.map((c) => [c.url, c.headers.get('authorization')])).toEqual([
      ['https://image.chutes.test/generate', 'Bearer k'],
      ['https://cdn.example/img.png', null],
      ['https://image.chutes.test/generate', 'Bearer k'],
      ['https://image.chutes.test/files/img.png', 'Bearer k'],
    ]);
  });

  it('reports the type from the magic bytes, not from the header', async () => {
    const { fetchImpl } = scriptedFetch([
      new Response(PNG, { headers: { 'content-type': 'image/jpeg' } }),
    ]);
    const client = new ChutesImageClient({
      imageUrl: 'https://i.test/generate',
      apiKey: 'k',
      fetch: fetchImpl,
    });
    const image = await client.generateImage({ model: 'm', prompt: 'p', width: 128, height: 128 });
    expect(image).toMatchObject({ mime: 'image/png', extension: 'png' });
  });

  it('refuses JSON without an image and base64 that is not base64', async () => {
    const { fetchImpl } = scriptedFetch([
      json({ data: [] }),
      json({ data: [{ b64_json: '%%%' }] }),
    ]);
    const client = new ChutesImageClient({
      imageUrl: 'https://i.test/generate',
      apiKey: 'k',
      fetch: fetchImpl,
    });
    const req = { model: 'm', prompt: 'p', width: 128, height: 128 };
    await expect(client.generateImage(req)).rejects.toMatchObject({ code: 'bad_response' });
    await expect(client.generateImage(req)).rejects.toMatchObject({ code: 'bad_response' });
  });
});
