/** Where the image is in a JSON answer (the OpenAI images shape). */
export type ImagePayload = { kind: 'b64'; data: string } | { kind: 'url'; url: string };

/**
 * Finds the first image in `{data: [{b64_json}]}` or `{data: [{url}]}`. A `data:` URL counts
 * as base64. Undefined when the JSON holds no image.
 */
export function detectImagePayload(json: unknown): ImagePayload | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const data = (json as { data?: unknown }).data;
  const first: unknown = Array.isArray(data) ? data[0] : undefined;
  if (typeof first !== 'object' || first === null) return undefined;
  const { b64_json: b64, url } = first as { b64_json?: unknown; url?: unknown };
  if (typeof b64 === 'string' && b64.length > 0) return { kind: 'b64', data: b64 };
  if (typeof url === 'string' && url.length > 0) {
    const inline = /^data:[^,]*;base64,(.*)$/s.exec(url);
    return inline?.[1] !== undefined ? { kind: 'b64', data: inline[1] } : { kind: 'url', url };
  }
  return undefined;
}

/** Strict base64 (standard or URL-safe alphabet) to bytes; undefined when it is not base64. */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return undefined;
  // Node's base64 decoder takes the URL-safe alphabet too.
  return Buffer.from(compact, 'base64');
}

/** Whether a Content-Type header announces JSON. */
export function isJsonContentType(contentType: string | null): boolean {
  return contentType !== null && /\bjson\b/i.test(contentType);
}
