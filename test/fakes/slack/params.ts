import { fail } from './errors.js';
import { parseMultipart, type MultipartPart } from './multipart.js';

export type Encoding = 'form' | 'json' | 'multipart' | 'none';

export interface ParsedBody {
  values: Record<string, unknown>;
  files: MultipartPart[];
  encoding: Encoding;
}

/**
 * Reads a Web API request the ways Slack accepts one: query string,
 * form-encoded, JSON or multipart. A `token` inside a JSON body is dropped:
 * Slack takes tokens from JSON requests only in the Authorization header.
 */
export function parseBody(
  contentType: string | undefined,
  body: Buffer,
  query: URLSearchParams,
): ParsedBody {
  const values: Record<string, unknown> = Object.fromEntries(query);
  const [base = '', ...attrs] = (contentType ?? '').split(';').map((s) => s.trim());
  const type = base.toLowerCase();
  const charset = attrs.find((a) => a.toLowerCase().startsWith('charset='))?.slice(8);
  if (charset && !['utf-8', 'utf8', 'iso-8859-1'].includes(charset.toLowerCase())) {
    throw fail('invalid_charset');
  }
  if (!type) {
    if (body.length) throw fail('missing_post_type');
    return { values, files: [], encoding: 'none' };
  }
  if (type === 'application/x-www-form-urlencoded' || type === 'text/plain') {
    Object.assign(values, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    return { values, files: [], encoding: 'form' };
  }
  if (type === 'application/json') {
    let json: unknown;
    try {
      json = body.length ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      throw fail('invalid_json');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw fail('invalid_json');
    }
    const { token: _ignored, ...rest } = json as Record<string, unknown>;
    Object.assign(values, rest);
    return { values, files: [], encoding: 'json' };
  }
  if (type === 'multipart/form-data') {
    const parts = parseMultipart(contentType ?? '', body);
    if (!parts) throw fail('invalid_form_data');
    const files: MultipartPart[] = [];
    for (const part of parts) {
      if (part.filename !== undefined) files.push(part);
      else values[part.name] = part.data.toString('utf8');
    }
    return { values, files, encoding: 'multipart' };
  }
  throw fail('invalid_post_type');
}

/**
 * Typed access to one request's arguments. Form bodies carry everything as
 * strings, with objects and arrays JSON-encoded (as the WebClient sends
 * them); JSON bodies carry real values. Both read the same here.
 */
export class Params {
  constructor(readonly values: Record<string, unknown>) {}

  has(name: string): boolean {
    const v = this.values[name];
    return v !== undefined && v !== null;
  }

  str(name: string): string | undefined {
    const v = this.values[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw fail('invalid_arguments', `${name} must be a string`);
  }

  /** A string that counts as given: Slack treats an empty argument as a missing one. */
  text(name: string): string | undefined {
    const v = this.str(name);
    return v === '' ? undefined : v;
  }

  int(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw fail('invalid_arguments', `${name} must be an integer`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.values[name];
    if (v === undefined || v === null) return undefined;
    return v === true || v === 'true' || v === '1' || v === 1;
  }

  /** A JSON argument: decoded from a string, or taken as sent in a JSON body. */
  json(name: string, errorCode: string): unknown {
    const v = this.values[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      throw fail(errorCode, `${name} is not valid JSON`);
    }
  }
}
