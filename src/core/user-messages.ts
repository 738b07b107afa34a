/**
 * What users read when something goes wrong: one sentence, looked up by the
 * error's code. Never the raw error: it could name internals or secrets.
 */
import { ChutesError } from '../chutes/errors.js';

const CHUTES_TEXT: Record<ChutesError['code'], (model: string) => string> = {
  unauthorized: () =>
    "⚠️ I can't reach the model: Chutes rejected this bot's API key. An admin needs to fix the key.",
  no_balance: () =>
    '⚠️ The Chutes account behind this bot has no balance or quota left. An admin needs to top it up.',
  model_not_found: (model) =>
    `⚠️ The model \`${model}\` is not available on Chutes. An admin can choose another one in the settings.`,
  overloaded: () => '⚠️ The model is overloaded right now. Please try again in a minute.',
  bad_request: () => '⚠️ Chutes refused this request. Try a shorter or different message.',
  prompt_rejected: () => '⚠️ Chutes refused this prompt. Try rephrasing it.',
  server_error: () => '⚠️ Chutes had an internal error. Please try again later.',
  network: () => '⚠️ I could not reach Chutes. Please try again later.',
  timeout: () => '⚠️ The model took too long to answer. Please try again later.',
  bad_response: () => '⚠️ The model stopped answering halfway. Please try again.',
};

export const PLACEHOLDER = '⏳ _Thinking…_';
export const RETRYING = '⏳ _The model is busy; trying again in a moment…_';
export const EMPTY_PROMPT = 'Hi! Mention me with a question, for example: "@me what is a monad?"';
export const EMPTY_ANSWER = '_(The model returned an empty answer.)_';
export const CUT_OFF = '_(The answer reached the maximum length and was cut off.)_';
export const INTERNAL =
  '⚠️ Something went wrong on my side while answering. Please try again later.';

export function userMessageFor(error: unknown, model: string): string {
  if (error instanceof ChutesError) return CHUTES_TEXT[error.code](model);
  return INTERNAL;
}
