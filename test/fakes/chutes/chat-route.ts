import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { pause, sendJson } from './http.js';
import { textOf, type Content } from './image-parts.js';
import type { ReasoningStyle, ScriptedChat } from './types.js';
import type { ValidateFunction } from 'ajv';

interface ChatBody {
  model: string;
  messages: { role: string; content: Content }[];
  stream?: boolean | null;
}

/** `You said: <last user message>`, in word-sized chunks. */
export function defaultChunks(messages: ChatBody['messages']): string[] {
  const found = [...messages].reverse().find((m) => m.role === 'user');
  const last = found ? textOf(found.content) : '';
  return `You said: ${last}`.split(/(?<=\s)/);
}

/** `Thinking about: <last user message>. I will echo it.`, in word-sized chunks. */
export function defaultThinking(messages: ChatBody['messages']): string[] {
  const found = [...messages].reverse().find((m) => m.role === 'user');
  const last = found ? textOf(found.content) : '';
  return `Thinking about: ${last}. I will echo it.`.split(/(?<=\s)/);
}

/** The deltas of an answer, its thinking first in the style the script asks for. */
function deltasOf(answer: string[], thinking: string[], style: ReasoningStyle | undefined) {
  const content = (piece: string) => ({ content: piece });
  switch (style) {
    case undefined:
      return answer.map(content);
    case 'reasoning_content':
      return [
        ...thinking.map((piece) => ({ reasoning_content: piece, content: null })),
        ...answer.map(content),
      ];
    case 'reasoning':
      return [...thinking.map((piece) => ({ reasoning: piece })), ...answer.map(content)];
    case 'think-tags':
      // Tags cut across chunks, as tokenizers do.
      return ['<thi', 'nk>', ...thinking, '</th', 'ink>\n\n', ...answer].map(content);
    case 'think-close-only':
      return [...thinking, '\n</think', '>\n\n', ...answer].map(content);
  }
}

function usageFor(body: ChatBody, pieces: string[], script: ScriptedChat) {
  const promptChars = body.messages.reduce((n, m) => n + textOf(m.content).length, 0);
  const prompt = script.usage?.prompt_tokens ?? Math.ceil(promptChars / 4);
  const completion = script.usage?.completion_tokens ?? pieces.length;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: script.usage?.total_tokens ?? prompt + completion,
  };
}

function write(res: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve) => res.write(text, () => resolve()));
}

/** Told about each content chunk just before it is written, and when the stream is complete. */
export interface ChunkObserver {
  chunk(content: string): void;
  done(): void;
}

/** Answers a valid chat request the way Chutes (vLLM behind the Chutes API) does. */
export async function answerChat(
  res: ServerResponse,
  body: ChatBody,
  script: ScriptedChat,
  chunkValidator: ValidateFunction,
  observer?: ChunkObserver,
): Promise<void> {
  const answerPieces = script.chunks ?? defaultChunks(body.messages);
  const thinking = script.reasoningStyle ? (script.thinking ?? defaultThinking(body.messages)) : [];
  const deltas = deltasOf(answerPieces, thinking, script.reasoningStyle);
  // The usage counts the thinking's tokens too.
  const pieces = [...thinking, ...answerPieces];
  const finishReason = script.finishReason ?? 'stop';
  const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = usageFor(body, pieces, script);

  if (body.stream !== true) {
    if (!(await pause(script.firstChunkDelayMs ?? 0, res))) return;
    const content = answerPieces.join('');
    const message = script.reasoningStyle
      ? { role: 'assistant', content, reasoning_content: thinking.join('') }
      : { role: 'assistant', content };
    const choice = { index: 0, message, finish_reason: finishReason, logprobs: null };
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [choice],
      usage,
    });
    return;
  }

  const frame = (payload: unknown, check = true): string => {
    // The fake's own output must stay in the published chunk shape.
    if (check && !chunkValidator(payload)) {
      throw new Error(
        `fake Chutes built an invalid chunk: ${JSON.stringify(chunkValidator.errors)}`,
      );
    }
    return `data: ${JSON.stringify(payload)}\n\n`;
  };
  const chunk = (i: number, delta: object, finish: string | null): unknown => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: body.model,
    choices: [
      {
        index: 0,
        delta: i === 0 ? { role: 'assistant', ...delta } : delta,
        finish_reason: finish,
        logprobs: null,
      },
    ],
  });

  // Chutes waits for the model's first chunk before it sends a status, so it can still 429.
  if (!(await pause(script.firstChunkDelayMs ?? 0, res))) return;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-chutes-invocationid': randomUUID(),
  });

  const interrupt = async (sent: number): Promise<boolean> => {
    if (script.failAfterChunks === sent) {
      if (sent === 0) await write(res, ': ping\n\n');
      res.destroy();
      return true;
    }
    if (script.streamError?.afterChunks === sent) {
      await write(res, frame(script.streamError.error, false));
      res.end();
      return true;
    }
    if (script.bareErrorAfterChunks === sent) {
      // chutes-api yields json.dumps({...}) here: no `data:` and no line break.
      res.end(
        JSON.stringify({ error: 'Unhandled exception during response stream: instance lost' }),
      );
      return true;
    }
    return false;
  };

  const contents = deltas.length > 0 ? deltas : [{ content: '' }];
  for (const [i, delta] of contents.entries()) {
    if (i > 0 && !(await pause(script.chunkDelayMs ?? 0, res))) return;
    if (await interrupt(i)) return;
    if (script.keepAlive) await write(res, ': ping\n\n');
    const last = i === contents.length - 1;
    const framed = frame(chunk(i, delta, last ? finishReason : null));
    const text = Object.values(delta).find((value) => typeof value === 'string');
    observer?.chunk(text ?? '');
    await write(res, framed);
  }
  if (await interrupt(contents.length)) return;
  // Chutes forces stream_options.include_usage: a usage chunk with no choices comes last.
  await write(
    res,
    frame({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage }),
  );
  res.end('data: [DONE]\n\n');
  observer?.done();
}
