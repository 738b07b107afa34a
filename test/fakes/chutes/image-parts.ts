/**
 * What Chutes checks of a chat request's image parts beyond the schema
 * (PLATFORM-FACTS, Chutes: Vision): at most 8 images a request, a `data:` URI
 * that holds an image of the type it names, and only for a model whose
 * `input_modalities` include images (vLLM refuses image parts to a text model).
 */

export type Part =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export type Content = string | Part[];

/** Chutes' limit of images per request. */
export const MAX_IMAGES = 8;

/** A message's text: a string, or its text parts joined. */
export function textOf(content: Content): string {
  return typeof content === 'string'
    ? content
    : content
        .filter((p): p is Extract<Part, { type: 'text' }> => p.type === 'text')
        .map((p) => p.text)
        .join('\n');
}

export function imageUrls(messages: readonly { content: Content }[]): string[] {
  return messages.flatMap((m) =>
    typeof m.content === 'string'
      ? []
      : m.content.flatMap((p) => (p.type === 'image_url' ? [p.image_url.url] : [])),
  );
}

const MAGIC: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) =>
    b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/webp': (b) =>
    b.subarray(0, 4).toString('latin1') === 'RIFF' &&
    b.subarray(8, 12).toString('latin1') === 'WEBP',
  'image/gif': (b) => b.subarray(0, 4).toString('latin1') === 'GIF8',
};

/** The bytes of a `data:image/…;base64,` URI, and its type; undefined for other URLs. */
export function decodeDataUri(url: string): { mime: string; bytes: Buffer } | undefined {
  const match = /^data:(image\/[a-z]+);base64,(.*)$/s.exec(url);
  if (!match) return undefined;
  return { mime: match[1]!, bytes: Buffer.from(match[2]!, 'base64') };
}

/** Why Chutes would refuse the request's images (a 400), or undefined. */
export function imageProblem(
  model: string,
  messages: readonly { content: Content }[],
  modalities: Readonly<Record<string, readonly string[]>> | undefined,
): string | undefined {
  const urls = imageUrls(messages);
  if (urls.length === 0) return undefined;
  const known = modalities?.[model];
  if (known && !known.includes('image'))
    return `${model} is not a multimodal model: image inputs are not supported`;
  if (urls.length > MAX_IMAGES)
    return `At most ${MAX_IMAGES} images may be provided in one request, got ${urls.length}`;
  for (const url of urls) {
    if (!url.startsWith('data:')) continue;
    const decoded = decodeDataUri(url);
    const check = decoded && MAGIC[decoded.mime];
    if (!decoded || !check || decoded.bytes.length === 0 || !check(decoded.bytes))
      return 'Failed to load image: the data URI does not hold an image of its type';
  }
  return undefined;
}
