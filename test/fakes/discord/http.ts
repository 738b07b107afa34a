export { readBody } from '../shared.js';
import { parsePayload, type ParsedPayload } from './multipart.js';
import type { BucketRef } from './rate-limit.js';

export interface RouteRequest {
  method: string;
  params: string[];
  query: URLSearchParams;
  /** When the request reached the fake; interaction deadlines count to here. */
  arrivedAt: number;
  payload(): Promise<ParsedPayload>;
  parsed(): ParsedPayload | undefined;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface Route {
  method: string;
  /** Matched against the path after `/api/v10`, each segment URL-decoded (`%40original` → `@original`). */
  pattern: RegExp;
  /** `bot`: needs `Authorization: Bot <token>` and counts toward the global limit. */
  auth: 'bot' | 'none';
  bucket?: (params: string[]) => BucketRef | undefined;
  handle(req: RouteRequest): Promise<Reply> | Reply;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const noContent = (): Reply => ({ status: 204 });

export function routeRequest(
  method: string,
  params: string[],
  query: URLSearchParams,
  arrivedAt: number,
  contentType: string | undefined,
  body: Buffer,
): RouteRequest {
  let cached: ParsedPayload | undefined;
  return {
    method,
    params,
    query,
    arrivedAt,
    async payload() {
      cached ??= await parsePayload(contentType, body);
      return cached;
    },
    parsed: () => cached,
  };
}

export function param(req: RouteRequest, i: number): string {
  return req.params[i] ?? '';
}
