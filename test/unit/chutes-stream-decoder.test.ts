import { describe, expect, it } from 'vitest';
import { ChatStreamDecoder } from '../../src/chutes/chat-stream-decoder.js';
import type { ChatStreamEvent } from '../../src/chutes/chat-types.js';
import type { ChutesError } from '../../src/chutes/errors.js';

const chunk = (content: string | null, finish: string | null = null, extra: object = {}) =>
  `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: finish, logprobs: null }],
    ...extra,
  })}\n\n`;
const usage = (p: number, c: number) =>
  `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [],
    usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c },
  })}\n\n`;
const DONE = 'data: [DONE]\n\n';

const STREAM = chunk('Hel') + chunk('lo, ') + chunk('wörld 🌍', 'stop') + usage(5, 3) + DONE;
const EXPECTED: ChatStreamEvent[] = [
  { type: 'delta', content: 'Hel' },
  { type: 'delta', content: 'lo, ' },
  { type: 'delta', content: 'wörld 🌍' },
  { type: 'finish', reason: 'stop' },
  { type: 'usage', promptTokens: 5, completionTokens: 3, totalTokens: 8 },
];

/** Feeds the pieces like network reads, then ends the stream. */
function run(pieces: string[]): ChatStreamEvent[] {
  const decoder = new ChatStreamDecoder(['secret-key']);
  const events: ChatStreamEvent[] = [];
  for (const piece of pieces) {
    events.push(...decoder.push(piece));
    if (decoder.error) throw decoder.error;
    if (decoder.done) break;
  }
  if (!decoder.done) events.push(...decoder.end());
  return events;
}

function failure(pieces: string[]): ChutesError {
  try {
    run(pieces);
  } catch (err) {
    return err as ChutesError;
  }
  throw new Error('expected the stream to fail');
}

describe('ChatStreamDecoder', () => {
  it('decodes a whole stream delivered in one read', () => {
    expect(run([STREAM])).toEqual(EXPECTED);
  });

  it('decodes the same stream split at every character', () => {
    expect(run([...STREAM])).toEqual(EXPECTED);
  });

  it('decodes reads that cut events at arbitrary places', () => {
    for (const size of [2, 7, 13, 64]) {
      const pieces = STREAM.match(new RegExp(`[\\s\\S]{1,${size}}`, 'gu')) ?? [];
      expect(run(pieces)).toEqual(EXPECTED);
    }
  });

  it('handles many events in one read next to a split one', () => {
    const cut = STREAM.indexOf('wörld') + 2;
    expect(run([STREAM.slice(0, cut), STREAM.slice(cut)])).toEqual(EXPECTED);
  });

  it('ignores comments and keep-alives, CRLF line ends and unknown fields', () => {
    const noisy = `: ping\n\n${chunk('a').replace('\n\n', '\r\n\r\n')}:keep-alive\r\n\r\nretry: 100\n\n${chunk('b', 'length', { system_fingerprint: 'x' })}${DONE}`;
    expect(run([noisy])).toEqual([
      { type: 'delta', content: 'a' },
      { type: 'delta', content: 'b' },
      { type: 'finish', reason: 'length' },
    ]);
  });

  it('tolerates fields outside the schema and skips other choices', () => {
    const reasoning = `data: ${JSON.stringify({
      choices: [
        { index: 0, delta: { reasoning_content: 'hmm', content: null, stop_reason: 3 } },
        { index: 1, delta: { content: 'other' } },
        { index: 0, delta: { content: 'yes' } },
      ],
    })}\n\n`;
    expect(run([reasoning, chunk('', 'stop'), DONE])).toEqual([
      { type: 'reasoning', content: 'hmm' },
      { type: 'delta', content: 'yes' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('reads thinking from reasoning_content and from reasoning (newer vLLM), apart from the answer', () => {
    const thought = (delta: object) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    const events = run([
      thought({ role: 'assistant', reasoning_content: 'Let me ', content: null }),
      thought({ reasoning: 'think.' }),
      thought({ reasoning: null, content: 'Answer' }),
      chunk('', 'stop'),
      usage(4, 9),
      DONE,
    ]);
    expect(events).toEqual([
      { type: 'reasoning', content: 'Let me ' },
      { type: 'reasoning', content: 'think.' },
      { type: 'delta', content: 'Answer' },
      { type: 'finish', reason: 'stop' },
      // The thinking's tokens are in the usage the server reports.
      { type: 'usage', promptTokens: 4, completionTokens: 9, totalTokens: 13 },
    ]);
  });

  it('reports usage once, at the end, even when every chunk carries it', () => {
    const running = chunk('a', null, {
      usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 },
    });
    const events = run([running, chunk('b', 'stop'), usage(2, 2), DONE]);
    expect(events.filter((e) => e.type === 'usage')).toEqual([
      { type: 'usage', promptTokens: 2, completionTokens: 2, totalTokens: 4 },
    ]);
    expect(events.at(-1)?.type).toBe('usage');
  });

  it('stops at [DONE] and ignores what follows', () => {
    expect(run([chunk('a', 'stop'), DONE, chunk('after')])).toEqual([
      { type: 'delta', content: 'a' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('accepts a last [DONE] without its blank line', () => {
    const decoder = new ChatStreamDecoder();
    expect(decoder.push(chunk('a', 'stop') + 'data: [DONE]\n')).toHaveLength(2);
    expect(decoder.end()).toEqual([]);
    expect(decoder.done).toBe(true);
  });

  it('accepts a finished answer whose [DONE] never came', () => {
    expect(run([chunk('a', 'stop'), usage(1, 1)])).toEqual([
      { type: 'delta', content: 'a' },
      { type: 'finish', reason: 'stop' },
      { type: 'usage', promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    ]);
  });

  it('fails retryably when the stream ends with neither [DONE] nor a finish_reason', () => {
    const err = failure([chunk('a'), chunk('b')]);
    expect(err).toMatchObject({ code: 'bad_response', retryable: true });
    expect(err.message).toContain('dropped');
  });

  it('fails retryably when the stream is cut inside a chunk', () => {
    const cut = chunk('abc');
    expect(failure([chunk('a'), cut.slice(0, 20)])).toMatchObject({
      code: 'bad_response',
      retryable: true,
    });
  });

  it('keeps the deltas before an error chunk and then fails', () => {
    const decoder = new ChatStreamDecoder();
    const errorChunk = `data: ${JSON.stringify({ error: { object: 'error', message: 'CUDA out of memory', code: 500 } })}\n\n`;
    expect(decoder.push(chunk('partial') + errorChunk)).toEqual([
      { type: 'delta', content: 'partial' },
    ]);
    expect(decoder.error).toMatchObject({ code: 'bad_response', retryable: true });
    expect(decoder.error?.message).toContain('CUDA out of memory');
    expect(() => decoder.push(DONE)).toThrow('CUDA out of memory');
  });

  it('maps an overload error chunk to overloaded', () => {
    const err = failure([
      `data: ${JSON.stringify({ error: { message: 'No instances available', code: 429 } })}\n\n`,
    ]);
    expect(err).toMatchObject({ code: 'overloaded', retryable: true });
  });

  it("recognises Chutes' bare JSON error with no data: prefix", () => {
    const bare = JSON.stringify({ error: 'Unhandled exception during response stream: lost' });
    expect(failure([chunk('a'), bare])).toMatchObject({ code: 'bad_response', retryable: true });
    expect(failure([chunk('a'), `${bare}\n\n`]).message).toContain('Unhandled exception');
    expect(failure([chunk('a'), bare.slice(0, 10), bare.slice(10)]).message).toContain('lost');
  });

  it('refuses chunks that are not JSON or not chunks', () => {
    expect(failure(['data: hello\n\n'])).toMatchObject({ code: 'bad_response', retryable: false });
    expect(failure(['data: {"choices": "no"}\n\n']).message).toContain('choices');
  });

  it('keeps secrets out of stream error messages', () => {
    const leaky = `data: ${JSON.stringify({ error: { message: 'bad key secret-key', code: 401 } })}\n\n`;
    expect(failure([leaky]).message).not.toContain('secret-key');
  });
});
