import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerChat } from './chat-route.js';
import { flatHeaders, parseJson, presentedKey, readBody, sendBytes, sendJson } from './http.js';
import { imageProblem, textOf } from './image-parts.js';
import { answerImage, type ImageBody } from './image-route.js';
import { modelEntry, modelId, stateError, type ModelState } from './model-list.js';
import type {
  FakeChutes,
  FakeChutesOptions,
  RecordedRequest,
  ScriptedChat,
  ScriptedError,
  ScriptedImage,
  SentChunk,
} from './types.js';
import { createValidators, describeErrors } from './validators.js';
import type { ValidateFunction } from 'ajv';

function sendScriptedError(res: ServerResponse, error: ScriptedError): void {
  const body = error.body ?? { detail: `scripted error ${error.status}` };
  sendJson(res, error.status, body, error.headers);
}

/**
 * vLLM's refusal of a request whose prompt and max_tokens pass the model's context
 * (serving_engine.py `_validate_input`), or undefined. The prompt is counted with cl100k_base
 * plus 4 tokens a message, standing in for the model's own tokenizer and chat template.
 */
async function beyondContext(
  body: { messages: { content: unknown }[]; max_tokens?: number | null },
  contextLength: number | undefined,
): Promise<object | undefined> {
  if (contextLength === undefined) return undefined;
  const { countTokens } = await import('gpt-tokenizer/encoding/cl100k_base');
  const prompt = body.messages.reduce(
    (sum, m) => sum + 4 + (typeof m.content === 'string' ? countTokens(m.content, AS_TEXT) : 0),
    0,
  );
  const completion = body.max_tokens ?? 0;
  if (prompt + completion <= contextLength) return undefined;
  return {
    object: 'error',
    message: `This model's maximum context length is ${contextLength} tokens. However, you requested ${prompt + completion} tokens (${prompt} in the messages, ${completion} in the completion). Please reduce the length of the messages or completion.`,
    type: 'BadRequestError',
    param: null,
    code: 400,
  };
}

const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Starts a fake Chutes on 127.0.0.1 (random port) that speaks the wire protocol of
 * llm.chutes.ai and image.chutes.ai, as strictly as they do and a little more: request
 * bodies are checked against the published schemas with every object closed.
 *
 * Scripts are consumed only by requests that got past auth, JSON, schema and model checks.
 */
export async function startFakeChutes(options: FakeChutesOptions): Promise<FakeChutes> {
  const listed = options.models ?? ['model-a'];
  const models = listed.map(modelId);
  // What each model reads: the option's, else the model's own, else text only.
  const modalities = Object.fromEntries(
    listed.map((model) => [
      modelId(model),
      options.inputModalities?.[modelId(model)] ??
        (typeof model === 'string' ? undefined : model.input_modalities) ?? ['text'],
    ]),
  );
  const states = new Map<string, ModelState>(Object.entries(options.modelStates ?? {}));
  // Only a context given with the model is enforced: the default one is only listed.
  const contextOf = (id: string) => {
    const model = listed.find((m) => modelId(m) === id);
    return typeof model === 'object' ? model.context_length : undefined;
  };
  const validators = createValidators();
  const requests: RecordedRequest[] = [];
  const chatScripts: ScriptedChat[] = [];
  const imageScripts: ScriptedImage[] = [];
  const files = new Map<string, Buffer>();
  let lastImageBytes: Buffer | undefined;
  let origin = '';

  /** Auth, JSON and schema, in Chutes' order; answers and returns undefined on failure. */
  function admit(
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    text: string,
    validate: ValidateFunction,
  ): unknown {
    const parsed = parseJson(text);
    const valid = parsed.ok && validate(parsed.value);
    record.valid = valid;
    if (!valid) record.errors = parsed.ok ? describeErrors(validate) : 'body is not JSON';
    if (presentedKey(req) !== options.apiKey) {
      sendJson(res, 401, { detail: 'Authentication required.' });
      return undefined;
    }
    if (!valid) {
      sendJson(res, 400, { detail: record.errors });
      return undefined;
    }
    return parsed.ok ? parsed.value : undefined;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const parsed = parseJson(text);
    const record: RecordedRequest = {
      method,
      path,
      headers: flatHeaders(req),
      body: text === '' ? undefined : parsed.ok ? parsed.value : text,
      at: Date.now(),
      valid: true,
    };
    requests.push(record);
    // A client that hangs up before the answer ended (an aborted stream) is noted.
    res.once('close', () => {
      if (!res.writableFinished) record.disconnectedAt = Date.now();
    });

    if (method === 'GET' && path === '/v1/models') {
      // Public without a key; a key that is presented must be a valid one.
      const key = presentedKey(req);
      if (key !== undefined && key !== options.apiKey) {
        return sendJson(res, 401, { detail: 'Authentication required.' });
      }
      const created = Math.floor(Date.now() / 1000);
      const data = listed.map((model) => ({
        ...modelEntry(model, created),
        input_modalities: modalities[modelId(model)],
      }));
      return sendJson(res, 200, { object: 'list', data });
    }
    const file = method === 'GET' && /^\/files\/([\w.-]+)$/.exec(path)?.[1];
    if (file) {
      const bytes = files.get(file);
      return bytes
        ? sendBytes(res, 'image/png', bytes)
        : sendJson(res, 404, { detail: 'Not Found' });
    }
    if (method === 'POST' && path === '/v1/chat/completions') {
      const body = admit(req, res, record, text, validators.chatRequest) as
        Parameters<typeof answerChat>[1] | undefined;
      if (!body) return;
      if (!models.includes(body.model)) {
        return sendJson(res, 404, { detail: `model not found: ${body.model}` });
      }
      const refused = imageProblem(body.model, body.messages, modalities);
      if (refused) return sendJson(res, 400, { detail: refused });
      const asText = {
        ...body,
        messages: body.messages.map((m) => ({ role: m.role, content: textOf(m.content) })),
      };
      const overContext = await beyondContext(asText, contextOf(body.model));
      if (overContext) return sendJson(res, 400, overContext);
      // A cold, overloaded or unpaid model answers so before any script is consumed.
      const state = states.get(body.model);
      if (state) return sendScriptedError(res, stateError(body.model, state));
      const script = {
        reasoningStyle: options.reasoningModels?.[body.model],
        ...(chatScripts.shift() ?? options.defaultChat?.(asText) ?? {}),
      };
      if (script.error) return sendScriptedError(res, script.error);
      if (!options.recordChunks) return answerChat(res, body, script, validators.chatChunk);
      const sent: SentChunk[] = [];
      record.chunks = sent;
      return answerChat(res, body, script, validators.chatChunk, {
        chunk: (content) => void sent.push({ at: Date.now(), content }),
        done: () => (record.endedAt = Date.now()),
      });
    }
    if (method === 'POST' && path === '/generate') {
      const body = admit(req, res, record, text, validators.imageRequest) as ImageBody | undefined;
      if (!body) return;
      if (options.imageModels && !options.imageModels.includes(body.model)) {
        return sendJson(res, 404, { detail: `model not found: ${body.model}` });
      }
      const script = imageScripts.shift() ?? options.defaultImage?.(body) ?? {};
      if (script.error) return sendScriptedError(res, script.error);
      return answerImage(res, body, script, {
        served: (bytes) => (lastImageBytes = bytes),
        publish: (bytes) => {
          const id = `img-${files.size + 1}.png`;
          files.set(id, bytes);
          return `${origin}/files/${id}`;
        },
      });
    }
    sendJson(res, 404, { detail: 'Not Found' });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { detail: `fake Chutes failed: ${String(err)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl: `${origin}/v1`,
    imageUrl: `${origin}/generate`,
    requests,
    get lastImageBytes() {
      return lastImageBytes;
    },
    script: (reply) => void chatScripts.push(reply),
    scriptImage: (reply) => void imageScripts.push(reply),
    setModelState: (model, state) => void (state ? states.set(model, state) : states.delete(model)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
