import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ChutesChatClient } from '../../src/chutes/chat-client.js';
import type { ChatStreamEvent } from '../../src/chutes/chat-types.js';

const enc = new TextEncoder();
const frame = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'x', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

/** A fetch that answers every call with these byte pieces, one per read. */
function stubFetch(pieces: Uint8Array[], init: ResponseInit = {}) {
  const calls: { url: string; init: RequestInit }[] = [];
  let cancelled = false;
  const fetchImpl = (async (url: string | URL | Request, requestInit?: RequestInit) => {
    calls.push({ url: String(url), init: requestInit ?? {} });
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const piece = pieces[i++];
        if (piece) controller.enqueue(piece);
        else controller.close();
      },
      cancel() {
        cancelled = true;
      },
    });
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      ...init,
    });
  }) as typeof fetch;
  return { fetchImpl, calls, wasCancelled: () => cancelled };
}

async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const REQUEST = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('ChutesChatClient over a stubbed fetch', () => {
  it('reassembles text whose UTF-8 bytes are split across reads', async () => {
    const bytes = enc.encode(frame('añ🌍b', 'stop') + 'data: [DONE]\n\n');
    const emoji = Buffer.from(bytes).indexOf(Buffer.from('🌍'));
    const pieces = [
      bytes.slice(0, emoji + 1),
      bytes.slice(emoji + 1, emoji + 3),
      bytes.slice(emoji + 3),
    ];
    const { fetchImpl, calls } = stubFetch(pieces);
    const client = new ChutesChatClient({
      baseUrl: 'http://chutes.test/v1/',
      apiKey: 'k',
      fetch: fetchImpl,
    });
    expect(await collect(client.streamChat(REQUEST))).toEqual([
      { type: 'delta', content: 'añ🌍b' },
      { type: 'finish', reason: 'stop' },
    ]);
    expect(calls[0]?.url).toBe('http://chutes.test/v1/chat/completions');
    const headers = new Headers(calls[0]?.init.headers);
    expect(headers.get('authorization')).toBe('Bearer k');
    expect(headers.get('accept')).toBe('text/event-stream');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ ...REQUEST, stream: true });
  });

  it('refuses a 200 that is not an event stream', async () => {
    const { fetchImpl } = stubFetch([enc.encode('{"choices":[]}')], {
      headers: { 'content-type': 'application/json' },
    });
    const client = new ChutesChatClient({
      baseUrl: 'http://chutes.test/v1',
      apiKey: 'k',
      fetch: fetchImpl,
    });
    await expect(collect(client.streamChat(REQUEST))).rejects.toMatchObject({
      code: 'bad_response',
    });
  });

  it('cancels the download when the consumer stops early', async () => {
    const { fetchImpl, wasCancelled } = stubFetch([enc.encode(frame('a')), enc.encode(frame('b'))]);
    const client = new ChutesChatClient({
      baseUrl: 'http://chutes.test/v1',
      apiKey: 'k',
      fetch: fetchImpl,
    });
    for await (const event of client.streamChat(REQUEST)) {
      expect(event).toEqual({ type: 'delta', content: 'a' });
      break;
    }
    expect(wasCancelled()).toBe(true);
  });

  it('does not count a slow consumer as an idle server', async () => {
    const { fetchImpl } = stubFetch([
      enc.encode(frame('a') + frame('b', 'stop') + 'data: [DONE]\n\n'),
    ]);
    const client = new ChutesChatClient({
      baseUrl: 'http://chutes.test/v1',
      apiKey: 'k',
      fetch: fetchImpl,
      idleTimeoutMs: 20,
    });
    const events: ChatStreamEvent[] = [];
    for await (const event of client.streamChat(REQUEST)) {
      events.push(event);
      await sleep(60);
    }
    expect(events).toHaveLength(3);
  });

  it("rejects with the caller's abort reason, not a ChutesError", async () => {
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    controller.abort(reason);
    const { fetchImpl } = stubFetch([]);
    const client = new ChutesChatClient({
      baseUrl: 'http://chutes.test/v1',
      apiKey: 'k',
      fetch: fetchImpl,
    });
    await expect(collect(client.streamChat(REQUEST, controller.signal))).rejects.toBe(reason);
  });
});
