/**
 * Images as the model gets them: at most 1,024 px on the longest side (what
 * Chutes scales to anyway, so a 20 MB photo costs what Chutes will use),
 * turned upright by their EXIF orientation, re-encoded without metadata (no
 * location data leaves), as a `data:` URI: the platforms' links expire or
 * need the bot's token.
 */
import sharp from 'sharp';
import { ATTACHMENT_LIMITS } from './limits.js';

export interface PreparedImage {
  readonly mime: 'image/png' | 'image/jpeg' | 'image/webp';
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
}

/** Refuses decompression bombs: a 20 MB file may not unpack to gigabytes of pixels. */
const MAX_INPUT_PIXELS = 100_000_000;

/**
 * The image downscaled and re-encoded: PNG, JPEG and WebP keep their format,
 * anything else sharp reads (a GIF: its first frame) becomes PNG. Throws
 * when the bytes are no image sharp can read.
 */
export async function prepareImage(
  bytes: Buffer,
  side: number = ATTACHMENT_LIMITS.imageSide,
): Promise<PreparedImage> {
  const image = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, animated: false })
    .rotate()
    .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true });
  const format = (await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()).format;
  const encoded =
    format === 'jpeg'
      ? image.jpeg({ quality: 85 })
      : format === 'webp'
        ? image.webp({ quality: 85 })
        : image.png();
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  const mime = format === 'jpeg' ? 'image/jpeg' : format === 'webp' ? 'image/webp' : 'image/png';
  return { mime, bytes: data, width: info.width, height: info.height };
}

export function dataUri(image: Pick<PreparedImage, 'mime' | 'bytes'>): string {
  return `data:${image.mime};base64,${image.bytes.toString('base64')}`;
}
