import { inflateSync, crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sniffImageType } from '../../src/chutes/image-sniff.js';
import { encodeJpeg } from '../fakes/chutes/jpeg.js';
import { encodePng } from '../fakes/chutes/png.js';

function pngChunks(png: Buffer): { type: string; data: Buffer; crcOk: boolean }[] {
  const chunks = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    const crc = png.readUInt32BE(at + 8 + length);
    chunks.push({ type, data, crcOk: crc === crc32(png.subarray(at + 4, at + 8 + length)) >>> 0 });
    at += 12 + length;
  }
  return chunks;
}

describe('the fake Chutes image encoders', () => {
  it('writes a PNG with correct CRCs, size and pixel data', () => {
    const png = encodePng(130, 129, 'seed');
    expect(sniffImageType(png)?.mime).toBe('image/png');
    const chunks = pngChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    const ihdr = chunks[0]?.data ?? Buffer.alloc(0);
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)]).toEqual([130, 129]);
    expect(inflateSync(chunks[1]?.data ?? Buffer.alloc(0)).length).toBe(129 * (1 + 130 * 3));
  });

  it('pads a PNG to the requested size with a valid tEXt chunk', () => {
    const png = encodePng(128, 128, 'seed', 50_000);
    expect(png.length).toBe(50_000);
    expect(pngChunks(png).every((c) => c.crcOk)).toBe(true);
  });

  it('writes a baseline JPEG with the requested size', () => {
    const jpeg = encodeJpeg(300, 200, 'seed');
    expect(sniffImageType(jpeg)?.mime).toBe('image/jpeg');
    expect(jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect([jpeg.readUInt16BE(sof + 5), jpeg.readUInt16BE(sof + 7)]).toEqual([200, 300]);
    expect(encodeJpeg(300, 200, 'seed', 100_000).length).toBe(100_000);
  });

  it('draws the same bytes for the same seed and different ones otherwise', () => {
    expect(encodePng(128, 128, ['a', 1]).equals(encodePng(128, 128, ['a', 1]))).toBe(true);
    expect(encodePng(128, 128, ['a', 1]).equals(encodePng(128, 128, ['a', 2]))).toBe(false);
    expect(encodeJpeg(128, 128, 'a').equals(encodeJpeg(128, 128, 'b'))).toBe(false);
  });
});
