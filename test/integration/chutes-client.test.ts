import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChutesChatClient, type ChutesClientOptions } from '../../src/chutes/chat-client.js';
import type { ChatRequest, ChatStreamEvent } from '../../src/chutes/chat-types.js';
import { ChutesError } from '../../src/chutes/errors.js';
import { startFakeChutes, type FakeChutes } from '../fakes/chutes/index.js';

const KEY = 'cpk_test.key-0123456789';
const ASK: ChatRequest = {
  model: 'model-a',
  messages: [{ role: 'user', content: 'how are you?' }],
};

let chutes: FakeChutes;
beforeEach(async () => {
  chutes = await startFakeChutes({
    apiKey: KEY,
    models: ['model-a', { id: 'model-b', context_length: 8_192 }],
  });
});
afterEach(async () => {
  await chutes.close();
});

function client(options: Partial<ChutesClientOptions> = {}): ChutesChatClient {
  return new ChutesChatClient({ baseUrl: chutes.baseUrl, apiKey: KEY, ...options });
}

/** Collects events until the stream ends or fails; the failure is returned, not thrown. */
async function drain(
  stream: AsyncIterable<ChatStreamEvent>,
): Promise<{ events: ChatStreamEvent[]; text: string; error?: ChutesError }> {
  const events: ChatStreamEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (err) {
    if (!(err instanceof ChutesError)) throw err;
    return { events, text: textOf(events), error: err };
  }
  return { events, text: textOf(events) };
}

const textOf = (events: ChatStreamEvent[]): string =>
  events.map((e) => (e.type === 'delta' ? e.content : '')).join('');

describe('ChutesChatClient against the fake Chutes', () => {
  it('reassembles a streamed answer exactly, then reports finish and usage', async () => {
    const chunks = ['Hel', 'lo', ' wör', 'ld 🌍\n```js\nx = 1;\n```', ''];
    chutes.script({ chunks, usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 } });
    const { events, text, error } = await drain(client().streamChat(ASK));
    expect(error).toBeUndefined();
    expect(text).toBe(chunks.join(''));
    expect(events.slice(-2)).toEqual([
      { type: 'finish', reason: 'stop' },
      { type: 'usage', promptTokens: 11, completionTokens: 5, totalTokens: 16 },
    ]);
  });

  it('answers from the last user message when nothing is scripted', async () => {
    const { text, events } = await drain(client().streamChat(ASK));
    expect(text).toBe('You said: how are you?');
    expect(events.some((e) => e.type === 'usage')).toBe(true);
  });

  it('passes the finish reason through', async () => {
    chutes.script({ chunks: ['cut'], finishReason: 'length' });
    const { events } = await drain(client().streamChat(ASK));
    expect(events).toContainEqual({ type: 'finish', reason: 'length' });
  });

  it('sends a body the closed request schema accepts, with the Chutes headers', async () => {
    const req = {
      ...ASK,
      messages: [{ role: 'system' as const, content: 'Be brief.' }, ...ASK.messages],
      temperature: 0.2,
      top_p: undefined,
      max_tokens: 64,
      seed: 7,
      // A settings object spread into the request must not leak into the body.
      forgetAdminOnly: false,
    } as ChatRequest;
    await drain(client().streamChat(req));
    const [sent] = chutes.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/chat/completions', valid: true });
    expect(sent?.headers).toMatchObject({
      authorization: `Bearer ${KEY}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    });
    expect(sent?.body).toEqual({
      model: 'model-a',
      messages: req.messages,
      temperature: 0.2,
      max_tokens: 64,
      seed: 7,
      stream: true,
    });
  });

  it('the fake refuses fields outside the schema, as it would catch a sloppy client', async () => {
    const res = await fetch(`${chutes.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ASK, stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain('stream_options');
    expect(chutes.requests[0]?.valid).toBe(false);
  });

  it('puts the wire format in the shape Chutes uses', async () => {
    chutes.script({ chunks: ['a', 'b'] });
    const res = await fetch(`${chutes.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ASK, stream: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const frames = (await res.text()).split('\n\n').filter(Boolean);
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map(
      (f) =>
        JSON.parse(f.replace(/^data: /, '')) as {
          object: string;
          choices: { delta: { role?: string; content: string }; finish_reason: string | null }[];
          usage?: object;
        },
    );
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: 'a' });
    expect(chunks[1]?.choices[0]).toMatchObject({ delta: { content: 'b' }, finish_reason: 'stop' });
    expect(chunks[2]).toMatchObject({ choices: [], usage: { completion_tokens: 2 } });
  });

  it('streams: the first delta arrives long before the last', async () => {
    chutes.script({ chunks: ['1', '2', '3', '4'], chunkDelayMs: 120 });
    const seen: number[] = [];
    for await (const event of client().streamChat(ASK)) {
      if (event.type === 'delta') seen.push(Date.now());
    }
    expect(seen).toHaveLength(4);
    expect((seen[3] ?? 0) - (seen[0] ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it('ignores keep-alive comments between chunks', async () => {
    chutes.script({ chunks: ['x', 'y'], keepAlive: true });
    expect((await drain(client().streamChat(ASK))).text).toBe('xy');
  });

  describe('maps failures before the stream to error codes', () => {
    it('401 for a wrong key, without the key in the message', async () => {
      const { error } = await drain(client({ apiKey: 'cpk_wrong.key' }).streamChat(ASK));
      expect(error).toMatchObject({ code: 'unauthorized', status: 401, retryable: false });
      expect(error?.message).toContain('Authentication required');
      expect(error?.message).not.toContain('cpk_wrong.key');
      expect(chutes.requests[0]?.valid).toBe(true);
    });

    it('404 for an unknown model', async () => {
      const { error } = await drain(client().streamChat({ ...ASK, model: 'model-z' }));
      expect(error).toMatchObject({ code: 'model_not_found', status: 404, retryable: false });
      expect(error?.message).toContain('model-z');
    });

    it.each([
      [402, { detail: 'Quota exceeded and account balance is $0.0' }, {}, 'no_balance', false],
      [400, { detail: 'max_tokens must be at least 1' }, {}, 'bad_request', false],
      [400, { detail: 'Prompt rejected by the content filter' }, {}, 'prompt_rejected', false],
      [429, { detail: 'infra_overload' }, { 'Retry-After': '3' }, 'overloaded', true],
      [503, { detail: "No instances available (yet) for chute_id='x'" }, {}, 'overloaded', true],
      [500, { detail: 'Unhandled error generating response' }, {}, 'server_error', true],
    ] as const)('%i → %s', async (status, body, headers, code, retryable) => {
      chutes.script({ error: { status, body, headers } });
      const { error, events } = await drain(client().streamChat(ASK));
      expect(events).toEqual([]);
      expect(error).toMatchObject({ code, status, retryable });
      expect(error?.message).toContain(body.detail);
    });

    it('429 carries Retry-After only when the server sent it', async () => {
      chutes.script({ error: { status: 429, headers: { 'Retry-After': '3' } } });
      chutes.script({ error: { status: 429 } });
      expect((await drain(client().streamChat(ASK))).error?.retryAfterMs).toBe(3000);
      expect((await drain(client().streamChat(ASK))).error?.retryAfterMs).toBeUndefined();
    });

    it('an unreachable server is a retryable network error', async () => {
      const port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = probe.address() as { port: number };
          probe.close(() => resolve(free));
        });
      });
      const { error } = await drain(
        client({ baseUrl: `http://127.0.0.1:${port}/v1` }).streamChat(ASK),
      );
      expect(error).toMatchObject({ code: 'network', retryable: true });
      expect(error?.message).toContain('ECONNREFUSED');
    });
  });

  describe('fails mid-stream', () => {
    it('a dropped connection is a retryable bad_response after the deltas so far', async () => {
      chutes.script({ chunks: ['a', 'b', 'c'], failAfterChunks: 2 });
      const { text, error } = await drain(client().streamChat(ASK));
      expect(text).toBe('ab');
      expect(error).toMatchObject({ code: 'bad_response', retryable: true });
    });

    it('an error chunk ends the stream with its message', async () => {
      chutes.script({
        chunks: ['a', 'b'],
        streamError: {
          afterChunks: 1,
          error: { error: { message: 'CUDA out of memory', code: 500 } },
        },
      });
      const { text, error } = await drain(client().streamChat(ASK));
      expect(text).toBe('a');
      expect(error).toMatchObject({ code: 'bad_response', retryable: true });
      expect(error?.message).toContain('CUDA out of memory');
    });

    it("Chutes' bare JSON error after a 200 is recognised", async () => {
      chutes.script({ chunks: ['a', 'b'], bareErrorAfterChunks: 1 });
      const { error } = await drain(client().streamChat(ASK));
      expect(error).toMatchObject({ code: 'bad_response', retryable: true });
      expect(error?.message).toContain('Unhandled exception during response stream');
    });
  });

  describe('timeouts', () => {
    it('idle: a gap between chunks longer than idleTimeoutMs', async () => {
      chutes.script({ chunks: ['a', 'b'], chunkDelayMs: 2000 });
      const started = Date.now();
      const { text, error } = await drain(client({ idleTimeoutMs: 150 }).streamChat(ASK));
      expect(text).toBe('a');
      expect(error).toMatchObject({ code: 'timeout', retryable: true });
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('connect: no headers within connectTimeoutMs', async () => {
      chutes.script({ firstChunkDelayMs: 2000 });
      const { error } = await drain(client({ connectTimeoutMs: 150 }).streamChat(ASK));
      expect(error).toMatchObject({ code: 'timeout', retryable: true });
    });
  });

  it("a caller's abort rejects with the caller's reason", async () => {
    chutes.script({ chunks: ['a', 'b', 'c'], chunkDelayMs: 200 });
    const controller = new AbortController();
    const reason = new Error('cancelled by the job');
    const stream = client().streamChat(ASK, controller.signal);
    await expect(
      (async () => {
        for await (const event of stream) if (event.type === 'delta') controller.abort(reason);
      })(),
    ).rejects.toBe(reason);
  });

  it('lists the models without sending the key', async () => {
    expect(await client().listModels()).toEqual(['model-a', 'model-b']);
    expect(chutes.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(chutes.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("is refused, as vLLM refuses it, when the prompt and max_tokens pass the model's context", async () => {
    const ask = (maxTokens: number) =>
      (async () => {
        const events = client().streamChat({
          model: 'model-b',
          messages: [{ role: 'user', content: 'word '.repeat(4_000) }],
          max_tokens: maxTokens,
        });
        for await (const _ of events) void _;
      })();
    await ask(4_000);
    await expect(ask(5_000)).rejects.toMatchObject({ code: 'bad_request', status: 400 });
    expect(chutes.requests.at(-1)?.valid).toBe(true);
  });

  it("reads each model's modalities, prices and context length from the list", async () => {
    const infos = await client().listModelInfos();
    expect(infos.map((m) => m.id)).toEqual(['model-a', 'model-b']);
    // The fake lists Chutes' fields for every model: text only, its default prices and context.
    expect(infos[0]).toEqual({
      id: 'model-a',
      inputModalities: ['text'],
      pricing: { prompt: 0.2, completion: 0.8 },
      contextLength: 65_536,
    });
  });
});
