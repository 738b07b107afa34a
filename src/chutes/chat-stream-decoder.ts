import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import type { ChatStreamEvent } from './chat-types.js';
import { ChatChunkSchema, type ChunkUsage } from './chunk-schema.js';
import { ChutesError } from './errors.js';
import { errorFromStreamPayload } from './stream-error.js';

/** A single SSE event larger than this is not a chat chunk: stop buffering it. */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;
const MAX_TAIL_CHARS = 64 * 1024;

/**
 * Turns the text of a Chutes chat stream, fed in whatever pieces the network delivers, into
 * ChatStreamEvents. SSE framing is eventsource-parser's job; this class adds the OpenAI
 * conventions (`[DONE]`, choices, usage) and Chutes' ways of failing.
 *
 * Usage is reported once, when the stream completes: Chutes forces `include_usage`, and a
 * server sending running totals on every chunk must not be counted many times.
 */
export class ChatStreamDecoder {
  private readonly parser = createParser({
    onEvent: (event) => this.onEvent(event),
    onError: (error) => this.onParseError(error),
    maxBufferSize: MAX_EVENT_CHARS,
  });
  private pending: ChatStreamEvent[] = [];
  private failure: ChutesError | undefined;
  private doneSeen = false;
  private finishSeen = false;
  private usage: ChunkUsage | undefined;
  private usageSent = false;
  /** Text after the last line break: where Chutes' bare `{"error": …}` ends up. */
  private tail = '';
  private flushing = false;

  constructor(private readonly secrets: readonly string[] = []) {}

  /** `[DONE]` arrived: nothing more will come, the caller may stop reading. */
  get done(): boolean {
    return this.doneSeen;
  }

  /** The failure found so far; the events returned before it are still valid. */
  get error(): ChutesError | undefined {
    return this.failure;
  }

  /** Feeds the next piece of the stream; returns the events it completed. */
  push(text: string): ChatStreamEvent[] {
    if (this.failure) throw this.failure;
    if (!this.doneSeen && text) {
      this.trackTail(text);
      this.parser.feed(text);
    }
    return this.take();
  }

  /** The stream ended: returns the last events, or throws when the answer is incomplete. */
  end(): ChatStreamEvent[] {
    if (!this.doneSeen && !this.failure) {
      // Chutes writes its mid-stream error as bare JSON with no `data:` and no line break.
      this.checkBareJsonError(this.tail);
      // A last event without its blank line still counts (`data: [DONE]\n` then EOF).
      this.flushing = true;
      if (!this.failure) this.parser.feed('\n\n');
    }
    if (this.failure) throw this.failure;
    if (!this.doneSeen && !this.finishSeen) {
      throw new ChutesError(
        'bad_response',
        'The Chutes stream ended without [DONE] or a finish_reason: the connection dropped mid-answer. Retry.',
        { retryable: true },
      );
    }
    return [...this.take(), ...this.usageEvent()];
  }

  private take(): ChatStreamEvent[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private fail(error: ChutesError): void {
    this.failure ??= error;
  }

  private trackTail(text: string): void {
    const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    const tail = lastBreak === -1 ? this.tail + text : text.slice(lastBreak + 1);
    this.tail = tail.length > MAX_TAIL_CHARS ? '' : tail;
  }

  private checkBareJsonError(text: string): void {
    const candidate = text.trim();
    if (!candidate.startsWith('{')) return;
    try {
      const error = errorFromStreamPayload(JSON.parse(candidate), this.secrets);
      if (error) this.fail(error);
    } catch {
      // Not JSON: an ordinary truncated line, judged by end().
    }
  }

  private onParseError(error: ParseError): void {
    if (error.type === 'max-buffer-size-exceeded') {
      this.fail(
        new ChutesError(
          'bad_response',
          `A Chutes stream event exceeded ${MAX_EVENT_CHARS} characters.`,
        ),
      );
    } else if (error.type === 'unknown-field' && error.line !== undefined) {
      this.checkBareJsonError(error.line);
    }
  }

  private onEvent(event: EventSourceMessage): void {
    if (this.doneSeen || this.failure) return;
    const data = event.data.trim();
    if (data === '') return;
    if (data === '[DONE]') {
      this.doneSeen = true;
      this.pending.push(...this.usageEvent());
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.fail(
        this.flushing
          ? new ChutesError('bad_response', 'The Chutes stream was cut inside a chunk; retry.', {
              retryable: true,
            })
          : new ChutesError(
              'bad_response',
              `Chutes sent a chunk that is not JSON (${data.length} chars).`,
            ),
      );
      return;
    }
    const streamError =
      errorFromStreamPayload(json, this.secrets) ??
      (event.event === 'error'
        ? new ChutesError('bad_response', 'Chutes sent an error event.', { retryable: true })
        : undefined);
    if (streamError) return this.fail(streamError);

    const parsed = ChatChunkSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.') || 'chunk'}: ${issue.message}` : 'invalid';
      return this.fail(
        new ChutesError('bad_response', `Chutes sent a chunk outside the chunk schema (${where}).`),
      );
    }
    for (const choice of parsed.data.choices) {
      // The bot never asks for n > 1; other choices would interleave unrelated text.
      if (choice.index !== 0) continue;
      const thinking = choice.delta?.reasoning_content ?? choice.delta?.reasoning;
      if (thinking) this.pending.push({ type: 'reasoning', content: thinking });
      const content = choice.delta?.content;
      if (content) this.pending.push({ type: 'delta', content });
      if (choice.finish_reason && !this.finishSeen) {
        this.finishSeen = true;
        this.pending.push({ type: 'finish', reason: choice.finish_reason });
      }
    }
    if (parsed.data.usage) this.usage = parsed.data.usage;
  }

  private usageEvent(): ChatStreamEvent[] {
    if (!this.usage || this.usageSent) return [];
    this.usageSent = true;
    const promptTokens = this.usage.prompt_tokens ?? 0;
    const completionTokens = this.usage.completion_tokens ?? 0;
    return [
      {
        type: 'usage',
        promptTokens,
        completionTokens,
        totalTokens: this.usage.total_tokens ?? promptTokens + completionTokens,
      },
    ];
  }
}
