import type { MultipartPart } from './multipart.js';
import type { Params } from './params.js';
import type { FakeState } from './state.js';
import type { ResolvedOptions } from './types.js';

/** What every module needs. */
export interface FakeContext {
  options: ResolvedOptions;
  state: FakeState;
}

export interface MethodCall {
  method: string;
  params: Params;
  /** File parts of a multipart request. */
  files: MultipartPart[];
  /** When the request reached the fake. */
  now: number;
}

export interface MethodSpec {
  /** `bot`: the bot token, from the Authorization header or a `token` argument. `app`: the app-level token, header only. */
  auth: 'bot' | 'app';
  /** The success body without `ok`; throw `SlackApiError` to refuse. */
  handle(call: MethodCall): Record<string, unknown>;
}

export type MethodTable = Record<string, MethodSpec>;
