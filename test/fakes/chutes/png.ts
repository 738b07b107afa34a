import { crc32, deflateSync } from 'node:zlib';
import { seededBytes } from './pixels.js';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A valid RGB PNG of `width` × `height`: a gradient whose colours come from `seed`. With
 * `sizeBytes`, a tEXt chunk pads the file to that size (when it is larger than the image).
 */
export function encodePng(
  width: number,
  height: number,
  seed: unknown,
  sizeBytes?: number,
): Buffer {
  const next = seededBytes('png', seed);
  const [r, g, b] = [next(), next(), next()];
  const row = 1 + width * 3;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y += 1) {
    const start = y * row; // filter byte 0 (None) stays zero
    for (let x = 0; x < width; x += 1) {
      const at = start + 1 + x * 3;
      raw[at] = (r + (x >> 2)) & 0xff;
      raw[at + 1] = (g + (y >> 2)) & 0xff;
      raw[at + 2] = (b + (((x >> 5) ^ (y >> 5)) & 0x3f)) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const parts = [signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw))];
  const end = chunk('IEND', Buffer.alloc(0));
  const natural = parts.reduce((n, p) => n + p.length, 0) + end.length;
  const keyword = Buffer.from('Comment\0', 'latin1');
  const padding = (sizeBytes ?? 0) - natural - 12 - keyword.length;
  if (padding > 0) parts.push(chunk('tEXt', Buffer.concat([keyword, Buffer.alloc(padding, 0x20)])));
  return Buffer.concat([...parts, end]);
}
