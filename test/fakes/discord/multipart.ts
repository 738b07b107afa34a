import { Errors } from './errors.js';

export interface UploadedFile {
  /** The n of `files[n]`: payload_json `attachments[].id` points at it. */
  index: number;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface ParsedPayload {
  json: Record<string, unknown>;
  files: UploadedFile[];
}

function parseJson(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) throw Errors.invalidJson();
    return value as Record<string, unknown>;
  } catch {
    throw Errors.invalidJson();
  }
}

/**
 * Discord takes either a JSON body or multipart/form-data with `payload_json`
 * (or plain fields) plus `files[n]` parts; Node's fetch Request parses the latter.
 */
export async function parsePayload(
  contentType: string | undefined,
  body: Buffer,
): Promise<ParsedPayload> {
  if (!contentType?.startsWith('multipart/form-data')) {
    return { json: parseJson(body.toString('utf8')), files: [] };
  }
  const form = await new Request('http://fake.invalid/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  }).formData();
  let json: Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  const files: UploadedFile[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      if (name === 'payload_json') json = parseJson(value);
      else fields[name] = value;
      continue;
    }
    const match = /^files\[(\d+)\]$/.exec(name);
    files.push({
      index: match ? Number(match[1]) : files.length,
      filename: value.name,
      contentType: value.type || 'application/octet-stream',
      bytes: Buffer.from(await value.arrayBuffer()),
    });
  }
  return { json: { ...fields, ...json }, files };
}
