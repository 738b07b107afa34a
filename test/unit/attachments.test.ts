/**
 * Reading what people attach: kinds, caps (nothing fetched past one), the
 * sentences for what is left out, which model sees images, and the image
 * and text the model gets.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  ATTACHMENT_LIMITS,
  fallbacksFor,
  fileKind,
  readAttachments,
  readCapped,
  routeForImages,
  TooLargeError,
  withImages,
  type AttachmentRef,
} from '../../src/core/attachments/index.js';

/** A response whose body comes in chunks, counting how many were pulled. */
function streamed(chunks: Buffer[], headers: Record<string, string> = {}) {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[pulled++];
      if (next) controller.enqueue(new Uint8Array(next));
      else controller.close();
    },
  });
  return { response: new Response(body, { headers }), pulled: () => pulled };
}

describe('fileKind', () => {
  it('reads the type, and the name where the type says nothing', () => {
    expect(fileKind({ name: 'a.png', contentType: 'image/png' })).toBe('image');
    expect(fileKind({ name: 'x', contentType: 'image/jpeg' })).toBe('image');
    expect(fileKind({ name: 'photo.JPG', contentType: 'application/octet-stream' })).toBe('image');
    expect(fileKind({ name: 'notes.md' })).toBe('text');
    expect(fileKind({ name: 'main.rs', contentType: 'application/octet-stream' })).toBe('text');
    expect(fileKind({ name: 'data', contentType: 'application/json' })).toBe('text');
    expect(fileKind({ name: 'r.pdf' })).toBe('pdf');
    expect(fileKind({ name: 'clip.mp4', contentType: 'video/mp4' })).toBe('other');
    expect(fileKind({ name: 'vector.svg', contentType: 'image/svg+xml' })).toBe('other');
  });
});

describe('readCapped', () => {
  it('refuses a body whose Content-Length passes the cap without reading it', async () => {
    const { response, pulled } = streamed([Buffer.alloc(10)], { 'content-length': '2000' });
    await expect(readCapped(response, 1000)).rejects.toBeInstanceOf(TooLargeError);
    expect(pulled()).toBe(0);
  });

  it('stops reading at the cap when the length was not said', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(400, 1));
    const { response, pulled } = streamed(chunks);
    await expect(readCapped(response, 1000)).rejects.toBeInstanceOf(TooLargeError);
    expect(pulled()).toBeLessThanOrEqual(4);
  });

  it('with truncate, keeps exactly the cap and marks it cut', async () => {
    const { response } = streamed([Buffer.from('hello '), Buffer.from('world')]);
    const read = await readCapped(response, 8, { truncate: true });
    expect(read.bytes.toString()).toBe('hello wo');
    expect(read.cut).toBe(true);
  });
});

describe('routeForImages', () => {
  const models = {
    inputModalities: async (model: string) => ({ seer: ['text', 'image'], blind: ['text'] })[model],
  };
  const fail = () => {
    throw new Error('no error expected');
  };

  it('keeps a model that sees images, and a question without images anywhere', async () => {
    expect(await routeForImages({ model: 'seer', visionModel: '' }, true, models, fail)).toEqual({
      model: 'seer',
      seesImages: true,
    });
    expect(await routeForImages({ model: 'blind', visionModel: '' }, false, models, fail)).toEqual({
      model: 'blind',
      seesImages: false,
    });
  });

  it('hands images to vision_model, and says when there is none that sees', async () => {
    const routed = await routeForImages(
      { model: 'blind', visionModel: 'seer' },
      true,
      models,
      fail,
    );
    expect(routed).toMatchObject({ model: 'seer', seesImages: true });
    expect(routed.note).toBe('Answered by seer, since blind cannot see images.');
    const blindToo = await routeForImages(
      { model: 'blind', visionModel: 'blind-2' },
      true,
      models,
      fail,
    );
    expect(blindToo).toMatchObject({ model: 'blind', seesImages: false });
    expect(blindToo.note).toContain('blind cannot see images');
  });

  it('sends no images when the models list cannot be read', async () => {
    const errors: unknown[] = [];
    const broken = { inputModalities: () => Promise.reject(new Error('down')) };
    const routed = await routeForImages({ model: 'seer', visionModel: '' }, true, broken, (e) =>
      errors.push(e),
    );
    expect(routed.seesImages).toBe(false);
    expect(errors).toHaveLength(1);
  });
});

describe('fallbacksFor', () => {
  const models = {
    inputModalities: async (model: string) =>
      ({ seer: ['text', 'image'], blind: ['text'], seer2: ['image', 'text'] })[model],
  };

  it('keeps every fallback for text, only those that see for images', async () => {
    expect(await fallbacksFor(['blind', 'seer', 'seer2'], false, models)).toEqual([
      'blind',
      'seer',
      'seer2',
    ]);
    expect(await fallbacksFor(['blind', 'seer', 'unknown', 'seer2'], true, models)).toEqual([
      'seer',
      'seer2',
    ]);
    expect(await fallbacksFor(['seer'], true, undefined)).toEqual([]);
  });
});

describe('readAttachments', () => {
  const served = new Map<string, { bytes: Buffer; type: string }>();
  const fetched: string[] = [];
  const fetch = async (file: AttachmentRef) => {
    fetched.push(file.name);
    const found = served.get(file.url);
    return found
      ? new Response(new Uint8Array(found.bytes), {
          headers: { 'content-type': found.type, 'content-length': String(found.bytes.length) },
        })
      : new Response('gone', { status: 404 });
  };
  const file = (name: string, bytes: Buffer, contentType: string): AttachmentRef => {
    served.set(`https://cdn.test/${name}`, { bytes, type: contentType });
    return { url: `https://cdn.test/${name}`, name, size: bytes.length, contentType };
  };

  it('downscales images to 1,024 px and keeps a note of them for the history', async () => {
    const big = await sharp({
      create: { width: 4000, height: 1000, channels: 3, background: '#123456' },
    })
      .webp()
      .toBuffer();
    const read = await readAttachments([file('wide.webp', big, 'image/webp')], {
      fetch,
      images: true,
    });
    expect(read.images).toHaveLength(1);
    expect(read.images[0]).toMatchObject({ mime: 'image/webp', width: 1024, height: 256 });
    expect(read.images[0]!.url.startsWith('data:image/webp;base64,')).toBe(true);
    expect(read.trace).toContain('[image wide.webp was attached here: 1024×256 px');
    expect(read.trace).not.toContain('base64');
    expect(read.notes).toEqual([]);
  });

  it('sends at most 8 images and names the rest', async () => {
    const tiny = await sharp({
      create: { width: 8, height: 8, channels: 3, background: '#000' },
    })
      .png()
      .toBuffer();
    const files = Array.from({ length: 10 }, (_, i) => file(`p${i}.png`, tiny, 'image/png'));
    fetched.length = 0;
    const read = await readAttachments(files, { fetch, images: true });
    expect(read.images).toHaveLength(ATTACHMENT_LIMITS.maxImages);
    expect(read.notes).toEqual([
      'The model takes at most 8 images a question; I left out `p8.png`, `p9.png`.',
    ]);
    expect(fetched).not.toContain('p8.png');
  });

  it('cuts a long text file with a note, and leaves a binary one out', async () => {
    const long = 'a'.repeat(ATTACHMENT_LIMITS.maxFileChars + 500);
    const read = await readAttachments(
      [
        file('long.txt', Buffer.from(long), 'text/plain'),
        file('blob.txt', Buffer.from([0x41, 0x00, 0x42]), 'text/plain'),
      ],
      { fetch, images: true },
    );
    expect(read.text).toContain('[file long.txt]\n' + 'a'.repeat(100));
    expect(read.text).toContain('[… the rest of this file was cut]');
    expect(read.text.length).toBeLessThan(ATTACHMENT_LIMITS.maxFileChars + 200);
    expect(read.notes).toContain('`long.txt` is long: the model read its first 20,000 characters.');
    expect(read.notes.at(-1)).toContain('`blob.txt` is none of these');
  });

  it('fetches nothing of a file the platform says is over its cap', async () => {
    fetched.length = 0;
    const read = await readAttachments(
      [
        {
          url: 'https://cdn.test/huge.png',
          name: 'huge.png',
          size: 30 * 1024 * 1024,
          contentType: 'image/png',
        },
      ],
      { fetch, images: true },
    );
    expect(fetched).toEqual([]);
    expect(read.notes).toEqual([
      '`huge.png` is larger than 20 MB, the most I read of one image, so I left it out.',
    ]);
  });

  it('says a file could not be fetched, and does not fetch images no model will see', async () => {
    fetched.length = 0;
    const read = await readAttachments(
      [
        { url: 'https://cdn.test/expired.txt', name: 'expired.txt', contentType: 'text/plain' },
        { url: 'https://cdn.test/unseen.png', name: 'unseen.png', contentType: 'image/png' },
      ],
      { fetch, images: false },
    );
    expect(fetched).toEqual(['expired.txt']);
    expect(read.notes).toEqual([
      'I could not fetch `expired.txt` (its link may have expired); attach it again to have it read.',
    ]);
    expect(read.text).toContain(
      '[image unseen.png was attached here: the model that answered cannot see images]',
    );
  });
});

describe('withImages', () => {
  it('turns the question into a text part followed by its image parts', () => {
    const messages = withImages(
      [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'Ann: what is this?' },
      ],
      [
        {
          name: 'a.png',
          url: 'data:image/png;base64,AAAA',
          mime: 'image/png',
          bytes: Buffer.alloc(0),
          width: 1,
          height: 1,
        },
      ],
    );
    expect(messages).toEqual([
      { role: 'system', content: 'be brief' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Ann: what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ]);
  });
});
