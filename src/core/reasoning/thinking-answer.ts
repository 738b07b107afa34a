/**
 * A reasoning model's stream, read as an answer: the thinking (sent apart as
 * `reasoning` events, or inside `<think>` tags in the content) never reaches
 * the answer. While the model thinks, the reply shows that it does and for
 * how long; with `show_reasoning`, the answer starts with a short quoted
 * summary of the thinking (summary.ts). Only `answer` is what the
 * conversation stores; the summary is shown, never stored.
 */
import { reasoningBlock, THINKING_TAIL_CHARS } from './summary.js';
import { ThinkSplitter } from './think-splitter.js';

/** Where the answer is shown (the core's ReplyRenderer). */
export interface AnswerSink {
  append(text: string): void;
  /** Forgets the text appended so far: it turned out to be thinking. */
  retract(): void;
  /** Shows that the model thinks since `since` (Date.now() time); undefined: no longer. */
  thinking(since: number | undefined): void;
}

export interface ThinkingAnswerOptions {
  readonly model: string;
  /** `show_reasoning`: a short summary of the thinking above the answer. */
  readonly showReasoning: boolean;
  readonly now?: () => number;
}

/**
 * Models seen leaving out the opening `<think>` (DeepSeek-R1 templates): their
 * next answers are held as thinking until `</think>`, instead of showing the
 * thinking as answer and taking it back. Per process; bounded.
 */
const OMIT_OPENING_TAG = new Set<string>();
const MAX_MODELS_KEPT = 200;

function learnOmitsOpening(model: string): void {
  if (OMIT_OPENING_TAG.size >= MAX_MODELS_KEPT) OMIT_OPENING_TAG.clear();
  OMIT_OPENING_TAG.add(model);
}

export class ThinkingAnswer {
  /** The answer so far, without the thinking: what the conversation stores. */
  answer = '';
  private readonly splitter: ThinkSplitter;
  private readonly now: () => number;
  /** The end of the thinking, for the summary. */
  private thought = '';
  private thinkingSince?: number;
  private thinkingMs = 0;
  /** When the first piece of the stream came. */
  private startedAt?: number;
  /** What the reply shows above the answer, fixed when the answer starts. */
  private head?: string;

  constructor(
    private readonly sink: AnswerSink,
    private readonly options: ThinkingAnswerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.splitter = new ThinkSplitter({ startsThinking: OMIT_OPENING_TAG.has(options.model) });
  }

  /** What the reply shows above the answer: the summary block, or nothing. */
  get prefix(): string {
    return this.head ?? '';
  }

  /** A piece of the stream: `reasoning` is thinking, `delta` is content that may hold `<think>`. */
  take(event: { readonly type: 'delta' | 'reasoning'; readonly content: string }): void {
    this.startedAt ??= this.now();
    if (event.type === 'reasoning') {
      this.think(event.content);
      return;
    }
    const piece = this.splitter.push(event.content);
    if (piece.retracted !== undefined) {
      // What was shown as answer was thinking, from the start.
      this.sink.retract();
      this.answer = '';
      this.head = undefined;
      this.thinkingSince ??= this.startedAt;
      this.think(piece.retracted);
    }
    if (this.splitter.closedWithoutOpening) learnOmitsOpening(this.options.model);
    this.think(piece.thinking);
    this.say(piece.answer);
  }

  /** The stream ended: shows what was held back; `answer` is then complete. */
  end(): void {
    const last = this.splitter.end();
    if (last.unthought !== undefined) {
      // Taken for thinking, but no `</think>` came: it was the answer, shown without a summary.
      this.thought = '';
      this.sink.thinking(undefined);
      this.head = '';
    }
    this.think(last.thinking);
    this.say(last.answer);
    this.sink.thinking(undefined);
  }

  private think(text: string): void {
    if (text === '') return;
    if (this.thinkingSince === undefined || this.head === undefined) {
      this.thinkingSince ??= this.now();
      this.sink.thinking(this.thinkingSince);
    }
    this.thought = (this.thought + text).slice(-THINKING_TAIL_CHARS);
  }

  private say(text: string): void {
    if (text === '') return;
    if (this.head === undefined) {
      this.head = '';
      if (this.thinkingSince !== undefined) {
        this.thinkingMs = this.now() - this.thinkingSince;
        this.sink.thinking(undefined);
        if (this.options.showReasoning) this.head = reasoningBlock(this.thought, this.thinkingMs);
      }
      if (this.head !== '') this.sink.append(this.head);
    }
    this.answer += text;
    this.sink.append(text);
  }
}
