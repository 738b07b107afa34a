import { seededBytes } from './pixels.js';

/** Standard luminance DC table (JPEG Annex K.3): code lengths, then the categories. */
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/** Every block is a flat colour, so the AC table needs only end-of-block, coded as `0`. */
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_VALUES = [0x00];

function canonicalCodes(bits: number[], values: number[]): Map<number, [number, number]> {
  const codes = new Map<number, [number, number]>();
  let code = 0;
  let k = 0;
  bits.forEach((count, i) => {
    for (let j = 0; j < count; j += 1) codes.set(values[k++] ?? 0, [code++, i + 1]);
    code <<= 1;
  });
  return codes;
}

class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private filled = 0;

  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i -= 1) {
      this.current = (this.current << 1) | ((value >> i) & 1);
      if (++this.filled === 8) this.flushByte();
    }
  }

  private flushByte(): void {
    this.bytes.push(this.current);
    if (this.current === 0xff) this.bytes.push(0x00); // byte stuffing
    this.current = 0;
    this.filled = 0;
  }

  finish(): Buffer {
    if (this.filled > 0) this.write(0x7f, 8 - this.filled); // pad with 1-bits
    return Buffer.from(this.bytes);
  }
}

function segment(marker: number, payload: number[] | Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, Buffer.from(payload)]);
}

/**
 * A minimal valid baseline JPEG of `width` × `height`: greyscale, one flat shade per 8×8
 * block, shades drawn from `seed`. `sizeBytes` pads it with COM segments.
 */
export function encodeJpeg(
  width: number,
  height: number,
  seed: unknown,
  sizeBytes?: number,
): Buffer {
  const next = seededBytes('jpeg', seed);
  const dc = canonicalCodes(DC_BITS, DC_VALUES);
  const eob = canonicalCodes(AC_BITS, AC_VALUES).get(0) ?? [0, 1];
  const out = new BitWriter();
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  let previous = 0;
  for (let i = 0; i < blocks; i += 1) {
    // With a quantiser of 1, DC = 8 × (shade − 128); shades stay in 64..191.
    const value = 8 * ((next() >> 1) + 64 - 128);
    const diff = value - previous;
    previous = value;
    const category = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
    const [code, length] = dc.get(category) ?? [0, 2];
    out.write(code, length);
    if (category > 0) out.write(diff > 0 ? diff : diff + (1 << category) - 1, category);
    out.write(eob[0], eob[1]);
  }
  const scan = out.finish();

  const sof = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
  const head = [
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, [...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    segment(0xdb, [0, ...new Array<number>(64).fill(1)]),
    segment(0xc0, sof),
    segment(0xc4, [0x00, ...DC_BITS, ...DC_VALUES]),
    segment(0xc4, [0x10, ...AC_BITS, ...AC_VALUES]),
    segment(0xda, [1, 1, 0x00, 0, 63, 0]),
  ];
  const tail = [scan, Buffer.from([0xff, 0xd9])];
  let natural = [...head, ...tail].reduce((n, p) => n + p.length, 0);
  const comments: Buffer[] = [];
  while (sizeBytes !== undefined && sizeBytes - natural > 4) {
    const room = Math.min(sizeBytes - natural - 4, 65_533);
    comments.push(segment(0xfe, Buffer.alloc(room, 0x20)));
    natural += room + 4;
  }
  return Buffer.concat([head[0] as Buffer, ...comments, ...head.slice(1), ...tail]);
}
